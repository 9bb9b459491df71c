// Command cloudkoffer-talos is the project's own Talos tool: what the
// project asks Talos, or a node's Talos API, without talosctl.
//
//	cloudkoffer-talos validate < jobs.json
//
// validate merges patches onto the configurations the provider generates and
// validates them as Talos does (run at every synth; internal/validation).
//
//	cloudkoffer-talos probe -node 192.168.1.1 (-talosconfig talosconfig | -insecure)
//
// probe asks a node's Talos API whether it answers, and in which mode, as
// talosctl would (npm run preflight, npm run deploy, the upgrade scripts).
//
//	cloudkoffer-talos bootstrapped -node 192.168.1.1 -talosconfig talosconfig
//
// bootstrapped asks a control plane whether etcd runs on it: whether its
// cluster is bootstrapped (npm run deploy adopts a bootstrap it lacks).
//
//	cloudkoffer-talos seal -file terraform.cloudkoffer-v3.secrets.yaml < secrets.yaml
//	cloudkoffer-talos unseal -file terraform.cloudkoffer-v3.secrets.yaml -out secrets.yaml
//
// seal keeps the secrets backup encrypted with the state's passphrase (from
// CLOUDKOFFER_SECRETS_PASSPHRASE) when the state is encrypted; unseal gives the
// secrets.yaml back (internal/sealedbackup).
package main

import (
	"os"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/cmd/internal/cli"
)

var program = cli.Program{
	Name: "cloudkoffer-talos",
	Usage: `usage: cloudkoffer-talos <command> [flags]

commands:
  validate      merge patches onto generated configurations and validate them as Talos does
                (jobs as JSON on stdin, results as JSON on stdout; exit 1 when one is invalid)
  probe         ask a node's Talos API whether it answers, and in which mode (-h for flags)
  bootstrapped  ask a control plane whether its cluster is bootstrapped (etcd runs)
  seal          seal the secrets.yaml on stdin into -file, with the passphrase in CLOUDKOFFER_SECRETS_PASSPHRASE
  unseal        write the secrets.yaml sealed in -file to -out (mode 0600), with that passphrase
`,
	Commands: []cli.Command{
		{Name: "validate", Run: runValidate},
		{Name: "probe", Run: runProbe},
		{Name: "bootstrapped", Run: runBootstrapped},
		{Name: "seal", Run: runSeal},
		{Name: "unseal", Run: runUnseal},
	},
}

func main() {
	os.Exit(program.Main(os.Args[1:], cli.Std()))
}
