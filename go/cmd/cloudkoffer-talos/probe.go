package main

import (
	"errors"
	"flag"
	"time"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/cmd/internal/cli"
	"github.com/cloudkoffer/provisioning-k8s-talos/go/internal/probe"
)

// targetFlags are the flags probe and bootstrapped share: the node's Talos
// API, the talosconfig to ask it with, and how long to wait.
func targetFlags(flags *flag.FlagSet, target *probe.Target, nodeUsage, talosconfigUsage string) {
	flags.StringVar(&target.Node, "node", "", nodeUsage)
	flags.IntVar(&target.Port, "port", 50000, "port of the Talos API")
	flags.StringVar(&target.Talosconfig, "talosconfig", "", talosconfigUsage)
	flags.DurationVar(&target.Timeout, "timeout", 5*time.Second, "how long to wait for an answer")
}

// runProbe is `cloudkoffer-talos probe`: the ProbeResult on stdout; exit status
// 1 when the node did not answer.
func runProbe(args []string, stdio cli.IO) error {
	var opts probe.Options

	flags := cli.Flags("probe", stdio.Stderr)
	targetFlags(flags, &opts.Target, "address of the node (required)", "talosconfig with the client certificate")
	flags.BoolVar(&opts.Insecure, "insecure", false, "ask without a client certificate (maintenance mode)")
	flags.BoolVar(&opts.Strict, "strict", false, "with -talosconfig: do not fall back to asking without a certificate")

	if err := flags.Parse(args); err != nil {
		return cli.ExitOnError(err)
	}

	if opts.Node == "" {
		return errors.New("-node is required")
	}

	if !opts.Insecure && opts.Talosconfig == "" {
		return errors.New("either -talosconfig or -insecure is required")
	}

	result, err := probe.Probe(opts)
	_ = cli.PrintJSON(stdio.Stdout, result) // the exit status tells the rest

	return err
}

// runBootstrapped is `cloudkoffer-talos bootstrapped`: the BootstrapResult on
// stdout; exit status 0 when the node answered, whatever it said.
func runBootstrapped(args []string, stdio cli.IO) error {
	var target probe.Target

	flags := cli.Flags("bootstrapped", stdio.Stderr)
	targetFlags(flags, &target, "address of the control plane (required)", "talosconfig with the client certificate (required)")

	if err := flags.Parse(args); err != nil {
		return cli.ExitOnError(err)
	}

	if target.Node == "" || target.Talosconfig == "" {
		return errors.New("-node and -talosconfig are required")
	}

	result, err := probe.Bootstrapped(target)
	_ = cli.PrintJSON(stdio.Stdout, result) // the exit status tells the rest

	return err
}
