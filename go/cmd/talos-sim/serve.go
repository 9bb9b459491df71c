package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/cmd/internal/cli"
	"github.com/cloudkoffer/provisioning-k8s-talos/go/internal/simulator"
	"github.com/siderolabs/talos/pkg/machinery/constants"
)

// runServe is `talos-sim serve`: simulated nodes until SIGINT or SIGTERM,
// after one JSON line on stdout once every node listens (simulator.Ready).
func runServe(args []string, stdio cli.IO) error {
	var opts simulator.Options

	flags := cli.Flags("serve", stdio.Stderr)
	nodes := flags.String("nodes", "", "comma-separated loopback addresses, one per node (required)")
	flags.IntVar(&opts.Port, "port", 50000, "port of the Talos API on every node")
	flags.StringVar(&opts.Control, "control", "127.0.0.1:0", "loopback address of the HTTP status and fault-injection API")
	flags.DurationVar(&opts.RebootDelay, "reboot-delay", 500*time.Millisecond, "how long a node is gone after it applied a configuration")
	disks := flags.String("disks", "/dev/sda,/dev/nvme0n1", "comma-separated disks every node has")
	flags.StringVar(&opts.TalosVersion, "talos-version", "v1.7.4", "Talos version the nodes run")
	// Talos 1.7 signs the admin kubeconfig for constants.KubernetesAdminCertDefaultLifetime: one year (8760h).
	flags.DurationVar(&opts.KubeconfigValidity, "kubeconfig-validity", constants.KubernetesAdminCertDefaultLifetime,
		"how long the admin client certificate of a kubeconfig from the Kubeconfig API is valid")
	flags.StringVar(&opts.KubeAPIServer, "kube-apiserver", "",
		"the real kube-apiserver a bootstrapped cluster serves its Kubernetes API with, on its cluster endpoint (none: no Kubernetes API)")
	flags.StringVar(&opts.Talosctl, "talosctl", "",
		"the real talosctl ClusterService.HealthCheck runs Talos' cluster checks with (none: HealthCheck answers FailedPrecondition)")

	if err := flags.Parse(args); err != nil {
		return cli.ExitOnError(err)
	}

	if opts.KubeconfigValidity <= 0 {
		return fmt.Errorf("-kubeconfig-validity: %s is not a positive duration", opts.KubeconfigValidity)
	}

	for flag, path := range map[string]string{"-kube-apiserver": opts.KubeAPIServer, "-talosctl": opts.Talosctl} {
		if err := executable(path); err != nil {
			return fmt.Errorf("%s: %w", flag, err)
		}
	}

	if opts.Nodes = simulator.SplitList(*nodes); len(opts.Nodes) == 0 {
		return errors.New("-nodes: at least one node address is required")
	}

	opts.Disks, opts.Log = simulator.SplitList(*disks), stdio.Stdout

	server, err := simulator.Start(opts)
	if err != nil {
		return err
	}

	_ = cli.PrintJSON(stdio.Stdout, server.Ready) // the control API tells the rest

	cli.WaitForStop()
	server.Close()

	return nil
}

// executable checks that path ("" is none) is an executable file.
func executable(path string) error {
	if path == "" {
		return nil
	}

	info, err := os.Stat(path)
	if err != nil {
		return err
	}

	if info.IsDir() || info.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", path)
	}

	return nil
}
