// Package talosclient holds what the project's Talos tool and the upgrade-k8s
// double both ask a node over its Talos API.
package talosclient

import (
	"context"
	"crypto/tls"
	"errors"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/client"
	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"
)

// VersionTag asks a configured node the Talos version it runs.
func VersionTag(ctx context.Context, c *client.Client) (string, error) {
	reply, err := c.Version(ctx)
	if err != nil {
		return "", err
	}

	if len(reply.Messages) == 0 || reply.Messages[0].Version == nil {
		return "", errors.New("empty version reply")
	}

	return reply.Messages[0].Version.Tag, nil
}

// AskConfigured connects to a configured node's Talos API at endpoint
// (host:port) with the client certificate of the talosconfig file, as
// talosctl does (mTLS), and asks it what ask asks within timeout.
func AskConfigured(talosconfig, endpoint string, timeout time.Duration, ask func(context.Context, *client.Client) error) error {
	cfg, err := clientconfig.Open(talosconfig)
	if err != nil {
		return err
	}

	return dial(timeout, ask, client.WithConfig(cfg), client.WithEndpoints(endpoint))
}

// AskMaintenance asks a node without a client certificate for its disks, as
// the provider does first: a node in maintenance mode answers; a configured
// one refuses the handshake.
func AskMaintenance(endpoint string, timeout time.Duration) error {
	// The maintenance service has a throwaway certificate: there is nothing to verify it against.
	return dial(timeout, func(ctx context.Context, c *client.Client) error {
		_, err := c.Disks(ctx)

		return err
	}, client.WithTLSConfig(&tls.Config{InsecureSkipVerify: true}), client.WithEndpoints(endpoint)) //nolint:gosec
}

// dial makes a client with options and asks it what ask asks, within timeout.
func dial(timeout time.Duration, ask func(context.Context, *client.Client) error, options ...client.OptionFunc) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	c, err := client.New(ctx, options...)
	if err != nil {
		return err
	}
	defer c.Close() //nolint:errcheck

	return ask(ctx, c)
}
