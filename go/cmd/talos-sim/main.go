// Command talos-sim simulates the Talos machine API of a Cloudkoffer's nodes
// on loopback addresses, so that the real Terraform provider and real clients
// can provision and manage a cluster that is not there. Configurations are
// parsed and validated by Talos' own machinery
// (github.com/siderolabs/talos/pkg/machinery), at the version
// siderolabs/talos 0.5.0 builds them with. It serves tests, npm start and
// the benchmark; production code never runs it.
//
//	talos-sim serve -nodes 127.10.0.1,127.10.0.2 [-control 127.0.0.1:0] [-reboot-delay 500ms]
//	                [-kube-apiserver <path>] [-talosctl <path>]
//
// serve prints one JSON line once every node listens: the control URL (HTTP
// status, fault injection and holds, see internal/simulator/control.go) and
// the node addresses. A node answers for the nodes a call names (gRPC
// metadata "nodes"/"node"), as apid proxies. Each configured control plane
// runs a real etcd (embedded, go.etcd.io/etcd/server/v3) once its cluster is
// bootstrapped: client URL http://<address>:2379, peer URL
// http://<address>:2380, its data in a temporary folder removed at exit.
//
// With -kube-apiserver, a bootstrapped cluster serves its Kubernetes API
// with the real kube-apiserver, on its cluster endpoint (a loopback address),
// and the simulator registers there what the nodes' kubelets would: Nodes,
// the control planes' mirror pods, CoreDNS (internal/simulator/kube.go,
// kubeobjects.go). With -talosctl, ClusterService.HealthCheck runs Talos' own
// cluster checks through the real talosctl (internal/simulator/healthcheck.go).
//
//	talos-sim talosctl <path of the real talosctl> <talosctl command line>
//
// talosctl runs the real talosctl once every address it would dial is
// checked to be loopback; it answers upgrade-k8s itself, a double, for the
// real one rolls out a control plane the simulator does not run (even with
// -kube-apiserver: no controllers, and static pods that are only reported)
// (internal/talosctlguard).
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
