// Command terraform-provider-null serves the hashicorp/null provider from its
// library package, so that it can be built from the Go module proxy inside a
// go.mod of ours, with pinned sums.
//
// The proxy serves neither v3.2.4, the release @cdktf/provider-null 11.0.1
// binds (its go.mod lacks the /v3 suffix, so no v3 tag is a valid module
// version), nor any other release but v1.0.0 (2017), which predates Go
// modules and plugin protocol 5. go.mod therefore pairs v1.0.0's code with the
// plugin SDK of github.com/hashicorp/terraform v0.12.31, which serves that
// same code over protocol 5, which terraform 1.x speaks. tools/providers.sh
// mirrors the result as a stand-in under its own version, 1.0.0.
package main

import (
	"github.com/hashicorp/terraform/plugin"
	"github.com/terraform-providers/terraform-provider-null/null"
)

func main() {
	plugin.Serve(&plugin.ServeOpts{ProviderFunc: null.Provider})
}
