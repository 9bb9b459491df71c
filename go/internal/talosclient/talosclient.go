// Package talosclient holds what the project's Talos tool and the upgrade-k8s
// double both ask a node over its Talos API.
package talosclient

import (
	"context"
	"crypto/tls"
	"errors"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/client"
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

// AskMaintenance asks a node without a client certificate for its disks, as
// the provider does first: a node in maintenance mode answers; a configured
// one refuses the handshake.
func AskMaintenance(endpoint string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	// The maintenance service has a throwaway certificate: there is nothing to verify it against.
	c, err := client.New(ctx, client.WithTLSConfig(&tls.Config{InsecureSkipVerify: true}), client.WithEndpoints(endpoint)) //nolint:gosec
	if err != nil {
		return err
	}
	defer c.Close() //nolint:errcheck

	_, err = c.Disks(ctx)

	return err
}
