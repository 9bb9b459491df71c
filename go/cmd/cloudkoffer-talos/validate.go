package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/cmd/internal/cli"
	"github.com/cloudkoffer/provisioning-k8s-talos/go/internal/validation"
)

// runValidate is `cloudkoffer-talos validate`: jobs as JSON on stdin, verdicts
// as JSON on stdout; exit status 1, and nothing more said, when one is invalid.
func runValidate(args []string, stdio cli.IO) error {
	if len(args) > 0 {
		return errors.New("validate reads its jobs as JSON from stdin and takes no arguments")
	}

	input, err := io.ReadAll(stdio.Stdin)
	if err != nil {
		return err
	}

	var jobs []validation.ValidationJob
	if err = json.Unmarshal(input, &jobs); err != nil {
		return fmt.Errorf("stdin: %w", err)
	}

	results, err := validation.Validate(jobs)
	if err != nil {
		return err
	}

	out, err := json.Marshal(results)
	if err != nil {
		return err
	}

	fmt.Fprintln(stdio.Stdout, string(out))

	if !validation.AllValid(results) {
		return cli.Status(1)
	}

	return nil
}
