package main

import (
	"fmt"
	"os"
	"syscall"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/cmd/internal/cli"
	"github.com/cloudkoffer/provisioning-k8s-talos/go/internal/talosctlguard"
)

// runTalosctl is `talos-sim talosctl <path of the real talosctl> <talosctl
// command line>`: the command line checked to dial loopback addresses only,
// then upgrade-k8s answered by the double, anything else by the real
// talosctl, which replaces this process.
func runTalosctl(args []string, stdio cli.IO) error {
	if len(args) < 1 {
		return cli.ErrUsage
	}

	result, err := talosctlguard.Guard(args[0], args[1:])
	if err != nil {
		return err
	}

	if result.Answered {
		fmt.Fprint(stdio.Stdout, result.Answer)

		return nil
	}

	return syscall.Exec(result.Exec[0], result.Exec, os.Environ()) //nolint:gosec // the guard checked the command line
}
