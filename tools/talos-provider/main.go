// Command terraform-provider-talos serves the siderolabs/talos Terraform
// provider from its library package (pkg/talos), so that the provider can be
// built from the Go module proxy inside a go.mod of ours, with pinned sums.
//
// The version is whatever go.mod requires. The proxy does not serve v0.5.0,
// the version the stacks pin, so go.mod requires v0.7.1, the nearest served
// release; tools/providers.sh mirrors it as a stand-in under its own version,
// never under 0.5.0's name.
package main

import (
	"context"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/siderolabs/terraform-provider-talos/pkg/talos"
)

func main() {
	err := providerserver.Serve(context.Background(), talos.New, providerserver.ServeOpts{
		Address: "registry.terraform.io/siderolabs/talos",
	})
	if err != nil {
		log.Fatal(err)
	}
}
