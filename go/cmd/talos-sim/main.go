// Command talos-sim simulates the Talos machine API of a Cloudkoffer's nodes
// on loopback addresses, so that the real Terraform provider and real clients
// can provision and manage a cluster that is not there. Configurations are
// parsed and validated by Talos' own machinery
// (github.com/siderolabs/talos/pkg/machinery), at the version
// siderolabs/talos 0.5.0 builds them with. It serves tests, npm start and
// the benchmark; production code never runs it.
//
//	talos-sim serve -nodes 127.10.0.1,127.10.0.2 [-control 127.0.0.1:0] [-reboot-delay 500ms]
//
// serve prints one JSON line once every node listens: the control URL (HTTP
// status, fault injection and holds, see internal/simulator/control.go) and
// the node addresses.
//
//	talos-sim talosctl <path of the real talosctl> <talosctl command line>
//
// talosctl runs the real talosctl once every address it would dial is
// checked to be loopback; it answers upgrade-k8s itself, a double, for the
// simulator has no Kubernetes API (internal/talosctlguard).
//
//	talos-sim client-cert -ca-cert <b64> -ca-key <b64> -not-before <RFC3339> -not-after <RFC3339>
//
// client-cert signs a Talos client certificate with chosen validity bounds,
// e.g. one that expired already, as a year-old talosconfig's (internal/clientcert).
package main

import (
	"os"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/cmd/internal/cli"
)

var program = cli.Program{
	Name: "talos-sim",
	Usage: `usage: talos-sim <command> [flags]

commands:
  serve     simulate Talos nodes on loopback addresses (talos-sim serve -h for flags)
  talosctl  run the real talosctl (path first) against loopback addresses only; upgrade-k8s is a double
  client-cert  sign a Talos client certificate with chosen validity bounds (JSON: client_certificate, client_key)
`,
	Commands: []cli.Command{
		{Name: "serve", Run: runServe},
		{Name: "talosctl", Run: runTalosctl},
		{Name: "client-cert", Run: runClientCert},
	},
}

func main() {
	os.Exit(program.Main(os.Args[1:], cli.Std()))
}
