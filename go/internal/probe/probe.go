// Package probe asks a real or simulated node's Talos API whether it
// answers, in which mode, and whether its cluster is bootstrapped.
package probe

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/internal/talosclient"
	"github.com/siderolabs/talos/pkg/machinery/client"
	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"
)

// Modes a node answers in, as the simulator's status calls them.
const (
	modeMaintenance = "maintenance"
	modeConfigured  = "configured"
)

// ProbeResult is what `cloudkoffer-talos probe` prints: whether a node's Talos API
// answers, and in which mode.
type ProbeResult struct {
	Node    string `json:"node"`
	Answers bool   `json:"answers"`
	Mode    string `json:"mode,omitempty"`
	Version string `json:"version,omitempty"`
	Error   string `json:"error,omitempty"`
}

// probe asks one node's Talos API, as talosctl would: with the talosconfig's
// client certificate (mTLS, a configured node answers Version) or without one
// (-insecure, a node in maintenance mode answers Disks). With a talosconfig and
// without -strict, a node that refuses mTLS is asked again without it.
//
// Without a usable client certificate, a configured node refuses the TLS
// handshake: it answers, in configured mode, but tells nothing more. Only a
// node that cannot be dialled does not answer.
// Run is `cloudkoffer-talos probe`.
func Run(args []string) error {
	flags := flag.NewFlagSet("probe", flag.ExitOnError)
	node := flags.String("node", "", "address of the node (required)")
	port := flags.Int("port", 50000, "port of the Talos API")
	talosconfig := flags.String("talosconfig", "", "talosconfig with the client certificate")
	insecure := flags.Bool("insecure", false, "ask without a client certificate (maintenance mode)")
	strict := flags.Bool("strict", false, "with -talosconfig: do not fall back to asking without a certificate")
	timeout := flags.Duration("timeout", 5*time.Second, "how long to wait for an answer")

	if err := flags.Parse(args); err != nil {
		return err
	}

	if *node == "" {
		return errors.New("-node is required")
	}

	if !*insecure && *talosconfig == "" {
		return errors.New("either -talosconfig or -insecure is required")
	}

	endpoint := net.JoinHostPort(*node, strconv.Itoa(*port))
	result := ProbeResult{Node: *node}

	var err error

	if !*insecure {
		result.Version, err = probeConfigured(endpoint, *talosconfig, *timeout)
		if err == nil {
			result.Answers, result.Mode = true, modeConfigured
		}
	}

	if *insecure || (err != nil && !*strict) {
		maintenanceErr := talosclient.AskMaintenance(endpoint, *timeout)

		switch {
		case maintenanceErr == nil:
			result.Answers, result.Mode, err = true, modeMaintenance, nil
		case !unreachable(maintenanceErr):
			result.Answers, result.Mode = true, modeConfigured
			err = fmt.Errorf("configured: it refuses a client without a valid certificate (%w)", maintenanceErr)
		case err == nil:
			err = maintenanceErr
		}
	}

	if err != nil {
		result.Error = err.Error()
	}

	out, _ := json.Marshal(result) //nolint:errcheck
	fmt.Println(string(out))

	if !result.Answers {
		return fmt.Errorf("node %s did not answer", *node)
	}

	return nil
}

// unreachable: nothing answered at all (closed port, no route, no reply in
// time), as opposed to a TLS refusal by a running Talos API.
func unreachable(err error) bool {
	message := err.Error()

	return strings.Contains(message, "dial tcp") || strings.Contains(message, "DeadlineExceeded") ||
		strings.Contains(message, "context deadline exceeded")
}

func probeConfigured(endpoint, talosconfig string, timeout time.Duration) (string, error) {
	cfg, err := clientconfig.Open(talosconfig)
	if err != nil {
		return "", err
	}

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	c, err := client.New(ctx, client.WithConfig(cfg), client.WithEndpoints(endpoint))
	if err != nil {
		return "", err
	}
	defer c.Close() //nolint:errcheck

	return talosclient.VersionTag(ctx, c)
}

// BootstrapResult is what `cloudkoffer-talos bootstrapped` prints: whether etcd runs
// on a control plane, which it does once its cluster is bootstrapped.
type BootstrapResult struct {
	Node         string `json:"node"`
	Bootstrapped bool   `json:"bootstrapped"`
	Etcd         string `json:"etcd,omitempty"`
	Error        string `json:"error,omitempty"`
}

// bootstrapped asks a configured control plane, over mTLS, for the state of
// its etcd service (ServiceList, as `talosctl service etcd`): Running means
// the cluster was bootstrapped, so Bootstrap must not be asked for again.
// Exit status 0 when the node answered, whatever it said.
// Bootstrapped is `cloudkoffer-talos bootstrapped`.
func Bootstrapped(args []string) error {
	flags := flag.NewFlagSet("bootstrapped", flag.ExitOnError)
	node := flags.String("node", "", "address of the control plane (required)")
	port := flags.Int("port", 50000, "port of the Talos API")
	talosconfig := flags.String("talosconfig", "", "talosconfig with the client certificate (required)")
	timeout := flags.Duration("timeout", 5*time.Second, "how long to wait for an answer")

	if err := flags.Parse(args); err != nil {
		return err
	}

	if *node == "" || *talosconfig == "" {
		return errors.New("-node and -talosconfig are required")
	}

	result := BootstrapResult{Node: *node}
	state, err := etcdState(net.JoinHostPort(*node, strconv.Itoa(*port)), *talosconfig, *timeout)

	if err != nil {
		result.Error = err.Error()
	} else {
		result.Etcd, result.Bootstrapped = state, state == "Running"
	}

	out, _ := json.Marshal(result) //nolint:errcheck
	fmt.Println(string(out))

	if err != nil {
		return fmt.Errorf("node %s did not say whether it is bootstrapped", *node)
	}

	return nil
}

// etcdState is the state of the etcd service on a node, "" where it has none (a worker).
func etcdState(endpoint, talosconfig string, timeout time.Duration) (string, error) {
	cfg, err := clientconfig.Open(talosconfig)
	if err != nil {
		return "", err
	}

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	c, err := client.New(ctx, client.WithConfig(cfg), client.WithEndpoints(endpoint))
	if err != nil {
		return "", err
	}
	defer c.Close() //nolint:errcheck

	reply, err := c.ServiceList(ctx)
	if err != nil {
		return "", err
	}

	for _, message := range reply.Messages {
		for _, service := range message.Services {
			if service.Id == "etcd" {
				return service.State, nil
			}
		}
	}

	return "", nil
}
