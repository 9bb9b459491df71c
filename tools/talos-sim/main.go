// Command talos-sim simulates the Talos machine API of a Cloudkoffer's nodes
// on loopback addresses, so that the real Terraform provider can provision a
// cluster that is not there. Configurations are parsed and validated by
// Talos' own machinery (github.com/siderolabs/talos/pkg/machinery), at the
// version siderolabs/talos 0.5.0 builds them with.
//
//	talos-sim serve -nodes 127.10.0.1,127.10.0.2 [-control 127.0.0.1:0] [-reboot-delay 500ms]
//
// serve prints one JSON line once every node listens: the control URL (HTTP
// status and fault injection, see control.go) and the node addresses.
//
//	talos-sim probe -node 127.10.0.1 (-talosconfig talosconfig | -insecure)
//
// probe asks a real or simulated node's Talos API, as talosctl would.
//
//	talos-sim bootstrapped -node 127.10.0.1 -talosconfig talosconfig
//
// bootstrapped asks a control plane whether etcd runs on it (its cluster is bootstrapped).
//
//	talos-sim validate < jobs.json
//
// validate checks machine configurations with patches as Talos does (validate.go).
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}

	var err error

	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "probe":
		err = probe(os.Args[2:])
	case "bootstrapped":
		err = bootstrapped(os.Args[2:])
	case "validate":
		err = validate(os.Args[2:])
	case "talosctl":
		err = talosctl(os.Args[2:])
	case "-h", "-help", "--help", "help":
		usage()
	default:
		fmt.Fprintf(os.Stderr, "talos-sim: unknown command %q\n", os.Args[1])
		usage()
	}

	if err != nil {
		fmt.Fprintf(os.Stderr, "talos-sim: %v\n", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage: talos-sim <command> [flags]

commands:
  serve   simulate Talos nodes on loopback addresses (talos-sim serve -h for flags)
  probe   ask a node's Talos API whether it answers, and in which mode (talos-sim probe -h)
  bootstrapped  ask a control plane whether its cluster is bootstrapped (etcd runs)
  talosctl  answer the talosctl commands this project runs (a test double; see talosctl.go)
  validate  merge patches onto generated configurations and validate them as Talos does
            (jobs as JSON on stdin, results as JSON on stdout; exit 1 when one is invalid)
`)
	os.Exit(2)
}
