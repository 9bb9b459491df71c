// Package validation checks machine configurations with patches as Talos
// does: the configuration the provider generates, the patches merged by
// Talos' configpatcher, validated for a metal node.
package validation

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/internal/metal"
	"github.com/hashicorp/go-multierror"
	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/configpatcher"
	"github.com/siderolabs/talos/pkg/machinery/config/generate"
	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	"github.com/siderolabs/talos/pkg/machinery/config/validation"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	"github.com/siderolabs/talos/pkg/machinery/gendata"
)

// ValidationJob is one stack's machine configurations to check: what
// talos_machine_configuration generates from, and the patches per role.
type ValidationJob struct {
	Name              string                   `json:"name"`
	ClusterName       string                   `json:"clusterName"`
	ClusterEndpoint   string                   `json:"clusterEndpoint"`
	TalosVersion      string                   `json:"talosVersion"`
	KubernetesVersion string                   `json:"kubernetesVersion"`
	Roles             map[string][]PatchSource `json:"roles"`
}

// PatchSource is one patch and where it came from, for the message.
type PatchSource struct {
	Source string `json:"source"`
	YAML   string `json:"yaml"`
}

// ValidationResult is the verdict on one role's merged configuration.
type ValidationResult struct {
	Name     string   `json:"name"`
	Role     string   `json:"role"`
	Valid    bool     `json:"valid"`
	Source   string   `json:"source,omitempty"`
	Errors   []string `json:"errors,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// Validate judges the jobs: one ValidationResult per job and role, the
// configuration the provider would generate, with the patches merged by
// Talos' configpatcher in order, and validated by Talos for a metal node (as
// `talosctl validate --mode metal`). A failing result names the first patch
// that makes it fail. The error is for a job that cannot be judged at all.
func Validate(jobs []ValidationJob) ([]ValidationResult, error) {
	results := []ValidationResult{}
	bundles := map[string]*secrets.Bundle{}

	for _, job := range jobs {
		jobResults, err := validateJob(job, bundles)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", job.Name, err)
		}

		results = append(results, jobResults...)
	}

	return results, nil
}

// AllValid reports whether every result is valid.
func AllValid(results []ValidationResult) bool {
	for _, result := range results {
		if !result.Valid {
			return false
		}
	}

	return true
}

func validateJob(job ValidationJob, bundles map[string]*secrets.Bundle) ([]ValidationResult, error) {
	contract, err := config.ParseContractFromVersion(job.TalosVersion)
	if err != nil {
		return nil, fmt.Errorf("talos version %q: %w", job.TalosVersion, err)
	}

	// Throwaway secrets: validation does not depend on them, and key generation is the slow part.
	bundle := bundles[contract.String()]
	if bundle == nil {
		if bundle, err = secrets.NewBundle(secrets.NewFixedClock(time.Now()), contract); err != nil {
			return nil, err
		}

		bundles[contract.String()] = bundle
	}

	// The options talos_machine_configuration (provider 0.5.0) generates with.
	input, err := generate.NewInput(job.ClusterName, job.ClusterEndpoint, strings.TrimPrefix(job.KubernetesVersion, "v"),
		generate.WithClusterDiscovery(true),
		generate.WithDNSDomain(constants.DefaultDNSDomain),
		generate.WithInstallDisk("/dev/sda"),
		generate.WithInstallImage(fmt.Sprintf("%s/%s/installer:%s", gendata.ImagesRegistry, gendata.ImagesUsername, gendata.VersionTag)),
		generate.WithPersist(true),
		generate.WithSecretsBundle(bundle),
		generate.WithVersionContract(contract),
	)
	if err != nil {
		return nil, err
	}

	var results []ValidationResult

	for _, role := range []string{"controlplane", "worker"} {
		sources, ok := job.Roles[role]
		if !ok {
			continue
		}

		machineType, err := machine.ParseType(role)
		if err != nil {
			return nil, err
		}

		base, err := input.Config(machineType)
		if err != nil {
			return nil, err
		}

		results = append(results, validateRole(job.Name, role, base, sources))
	}

	return results, nil
}

// validateRole merges the patches one by one, so that a failure names the
// first patch after which the configuration no longer loads or validates.
func validateRole(name, role string, base config.Provider, sources []PatchSource) ValidationResult {
	result := ValidationResult{Name: name, Role: role}

	var (
		patched  configpatcher.Input = configpatcher.WithConfig(base)
		warnings []string
	)

	for _, source := range sources {
		patch, err := configpatcher.LoadPatch([]byte(source.YAML))
		if err != nil {
			result.Source, result.Errors = source.Source, []string{err.Error()}

			return result
		}

		if patched, err = configpatcher.Apply(patched, []configpatcher.Patch{patch}); err == nil {
			var cfg config.Provider

			if cfg, err = patched.Config(); err == nil {
				warnings, err = cfg.Validate(metal.Mode{}, validation.WithLocal())
			}
		}

		if err != nil {
			result.Source, result.Errors = source.Source, errorList(err)

			return result
		}
	}

	result.Valid, result.Warnings = true, warnings

	return result
}

// errorList spells a Talos validation error one line per problem.
func errorList(err error) []string {
	var merr *multierror.Error
	if errors.As(err, &merr) {
		list := make([]string, 0, len(merr.Errors))
		for _, e := range merr.Errors {
			list = append(list, e.Error())
		}

		return list
	}

	return []string{err.Error()}
}
