package talosctlguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/internal/talosclient"
	"github.com/siderolabs/talos/pkg/machinery/client"
)

// upgradeK8s is a test double for `talosctl upgrade-k8s --to=V --nodes=N`:
// the simulated cluster serves the Kubernetes API (a real kube-apiserver),
// but the real command goes further: it pulls the new images, patches every
// node's machine configuration and waits for the static pods and kubelets
// to roll out in the new version, which no simulated node does. It
// checks what the real one checks first (a Kubernetes version; a control
// plane that the talosconfig reaches over mTLS) and answers what it would do.
func upgradeK8s(inv Invocation) (string, error) {
	to := strings.TrimPrefix(inv.Flags["to"], "v")
	if parts := strings.Split(to, "."); len(parts) != 3 {
		return "", fmt.Errorf("--to %q is not a Kubernetes version", inv.Flags["to"])
	}

	if len(inv.Nodes) != 1 {
		return "", errors.New("upgrade-k8s: name the one control plane with --nodes")
	}

	endpoint := inv.Nodes[0]
	if len(inv.Endpoints) > 0 {
		endpoint = inv.Endpoints[0]
	}

	path := inv.TalosconfigPath()
	if path == "" {
		return "", errors.New("no talosconfig: set TALOSCONFIG or --talosconfig")
	}

	err := talosclient.AskConfigured(path, net.JoinHostPort(endpoint, "50000"), 10*time.Second, func(ctx context.Context, c *client.Client) error {
		if _, err := talosclient.VersionTag(ctx, c); err != nil {
			return fmt.Errorf("error upgrading kubernetes: %w", err)
		}

		return nil
	})
	if err != nil {
		return "", err
	}

	return fmt.Sprintf("automatically detected the lowest Kubernetes version\nupgrading to %s\n", to), nil
}
