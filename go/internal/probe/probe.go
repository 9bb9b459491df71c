// Package probe asks a real or simulated node's Talos API whether it
// answers, in which mode, and whether its cluster is bootstrapped.
package probe

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/internal/talosclient"
	"github.com/siderolabs/talos/pkg/machinery/client"
)

// Modes a node answers in, as the simulator's status calls them.
const (
	modeMaintenance = "maintenance"
	modeConfigured  = "configured"
)

// Target is a node's Talos API, and how it is asked.
type Target struct {
	// Node is the node's address.
	Node string
	// Port is the Talos API's port (50000).
	Port int
	// Talosconfig is the talosconfig file with the client certificate.
	Talosconfig string
	// Timeout is how long to wait for an answer.
	Timeout time.Duration
}

func (t Target) endpoint() string {
	return net.JoinHostPort(t.Node, strconv.Itoa(t.Port))
}

// Options of Probe.
type Options struct {
	Target
	// Insecure asks without a client certificate (maintenance mode).
	Insecure bool
	// Strict, with a Talosconfig, does not ask again without a certificate.
	Strict bool
}

// ProbeResult is what `cloudkoffer-talos probe` prints: whether a node's Talos API
// answers, and in which mode.
type ProbeResult struct {
	Node    string `json:"node"`
	Answers bool   `json:"answers"`
	Mode    string `json:"mode,omitempty"`
	Version string `json:"version,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Probe asks one node's Talos API, as talosctl would: with the talosconfig's
// client certificate (mTLS, a configured node answers Version) or without one
// (Insecure, a node in maintenance mode answers Disks). With a talosconfig and
// without Strict, a node that refuses mTLS is asked again without it.
//
// Without a usable client certificate, a configured node refuses the TLS
// handshake: it answers, in configured mode, but tells nothing more. Only a
// node that cannot be dialled does not answer: then the result says why, and
// the error says that it did not answer.
func Probe(opts Options) (ProbeResult, error) {
	endpoint := opts.endpoint()
	result := ProbeResult{Node: opts.Node}

	var err error

	if !opts.Insecure {
		err = talosclient.AskConfigured(opts.Talosconfig, endpoint, opts.Timeout, func(ctx context.Context, c *client.Client) error {
			var versionErr error
			result.Version, versionErr = talosclient.VersionTag(ctx, c)

			return versionErr
		})
		if err == nil {
			result.Answers, result.Mode = true, modeConfigured
		}
	}

	if opts.Insecure || (err != nil && !opts.Strict) {
		maintenanceErr := talosclient.AskMaintenance(endpoint, opts.Timeout)

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

	if !result.Answers {
		return result, fmt.Errorf("node %s did not answer", opts.Node)
	}

	return result, nil
}

// unreachable: nothing answered at all (closed port, no route, no reply in
// time), as opposed to a TLS refusal by a running Talos API.
func unreachable(err error) bool {
	message := err.Error()

	return strings.Contains(message, "dial tcp") || strings.Contains(message, "DeadlineExceeded") ||
		strings.Contains(message, "context deadline exceeded")
}

// BootstrapResult is what `cloudkoffer-talos bootstrapped` prints: whether etcd runs
// on a control plane, which it does once its cluster is bootstrapped.
type BootstrapResult struct {
	Node         string `json:"node"`
	Bootstrapped bool   `json:"bootstrapped"`
	Etcd         string `json:"etcd,omitempty"`
	Error        string `json:"error,omitempty"`
}

// Bootstrapped asks a configured control plane, over mTLS, for the state of
// its etcd service (ServiceList, as `talosctl service etcd`): Running means
// the cluster was bootstrapped, so Bootstrap must not be asked for again.
// When the node does not say, the result says why, and the error that it did
// not say.
func Bootstrapped(target Target) (BootstrapResult, error) {
	result := BootstrapResult{Node: target.Node}

	state, err := etcdState(target)
	if err != nil {
		result.Error = err.Error()

		return result, fmt.Errorf("node %s did not say whether it is bootstrapped", target.Node)
	}

	result.Etcd, result.Bootstrapped = state, state == "Running"

	return result, nil
}

// etcdState is the state of the etcd service on a node, "" where it has none (a worker).
func etcdState(target Target) (string, error) {
	var state string

	err := talosclient.AskConfigured(target.Talosconfig, target.endpoint(), target.Timeout, func(ctx context.Context, c *client.Client) error {
		reply, err := c.ServiceList(ctx)
		if err != nil {
			return err
		}

		for _, message := range reply.Messages {
			for _, service := range message.Services {
				if service.Id == "etcd" {
					state = service.State

					return nil
				}
			}
		}

		return nil
	})

	return state, err
}
