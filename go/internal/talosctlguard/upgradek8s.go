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
	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"
)

// upgradeK8s is a test double for `talosctl upgrade-k8s --to=V --nodes=N`:
// the real command drives the Kubernetes API, which the simulator lacks. It
// checks what the real one checks first (a Kubernetes version; a control
// plane that the talosconfig reaches over mTLS) and says what it would do.
func upgradeK8s(inv Invocation) error {
	to := strings.TrimPrefix(inv.Flags["to"], "v")
	if parts := strings.Split(to, "."); len(parts) != 3 {
		return fmt.Errorf("--to %q is not a Kubernetes version", inv.Flags["to"])
	}

	if len(inv.Nodes) != 1 {
		return errors.New("upgrade-k8s: name the one control plane with --nodes")
	}

	endpoint := inv.Nodes[0]
	if len(inv.Endpoints) > 0 {
		endpoint = inv.Endpoints[0]
	}

	path := inv.TalosconfigPath()
	if path == "" {
		return errors.New("no talosconfig: set TALOSCONFIG or --talosconfig")
	}

	cfg, err := clientconfig.Open(path)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := client.New(ctx, client.WithConfig(cfg), client.WithEndpoints(net.JoinHostPort(endpoint, "50000")))
	if err != nil {
		return err
	}
	defer c.Close() //nolint:errcheck

	if _, err = talosclient.VersionTag(ctx, c); err != nil {
		return fmt.Errorf("error upgrading kubernetes: %w", err)
	}

	fmt.Printf("automatically detected the lowest Kubernetes version\nupgrading to %s\n", to)

	return nil
}
