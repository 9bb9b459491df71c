// Command cloudkoffer-etcd reads etcd snapshots, the cluster's backups, as
// etcd's own tools do, without etcdutl (internal/etcdsnapshot):
//
//	cloudkoffer-etcd status -file cloudkoffer-v3-20261205T230000Z.etcd.snapshot [-skip-hash-check]
//
// status checks the snapshot's SHA-256 and database, and prints its hash,
// revision, key count and size as JSON (npm run backup after writing one,
// npm run restore before restoring one). Exit 1: not a sound etcd snapshot,
// with why.
package main

import (
	"errors"
	"os"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/cmd/internal/cli"
	"github.com/cloudkoffer/provisioning-k8s-talos/go/internal/etcdsnapshot"
)

var program = cli.Program{
	Name: "cloudkoffer-etcd",
	Usage: `usage: cloudkoffer-etcd <command> [flags]

commands:
  status  check an etcd snapshot (-file; -skip-hash-check for a raw db copy) and print
          its hash, revision, key count and size as JSON; exit 1 when it is not sound
`,
	Commands: []cli.Command{{Name: "status", Run: runStatus}},
}

func main() {
	os.Exit(program.Main(os.Args[1:], cli.Std()))
}

func runStatus(args []string, stdio cli.IO) error {
	flags := cli.Flags("status", stdio.Stderr)
	file := flags.String("file", "", "the snapshot to check")
	skipHashCheck := flags.Bool("skip-hash-check", false, "accept a snapshot without etcd's SHA-256 (a raw copy of the db file)")

	if err := flags.Parse(args); err != nil {
		return err
	}

	if *file == "" {
		return errors.New("status: -file is required")
	}

	status, err := etcdsnapshot.Read(*file, *skipHashCheck)
	if err != nil {
		return err
	}

	return cli.PrintJSON(stdio.Stdout, status)
}
