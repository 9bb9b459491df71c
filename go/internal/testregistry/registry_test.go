package testregistry

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// mirror lays out one provider binary as npm run providers does.
func mirror(t *testing.T) string {
	t.Helper()

	dir := t.TempDir()
	folder := filepath.Join(dir, "registry.terraform.io", "siderolabs", "talos", "0.5.0", "linux_amd64")

	if err := os.MkdirAll(folder, 0o755); err != nil {
		t.Fatal(err)
	}

	if err := os.WriteFile(filepath.Join(folder, "terraform-provider-talos_v0.5.0"), []byte("#!/bin/true\n"), 0o755); err != nil {
		t.Fatal(err)
	}

	return dir
}

func get(t *testing.T, server *httptest.Server, path string) []byte {
	t.Helper()

	response, err := server.Client().Get(server.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()

	body, err := io.ReadAll(response.Body)
	if err != nil {
		t.Fatal(err)
	}

	if response.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, response.StatusCode, body)
	}

	return body
}

func serve(t *testing.T, options Options) (*Registry, *httptest.Server) {
	t.Helper()

	packages, err := LoadMirror(mirror(t), "registry.terraform.io")
	if err != nil {
		t.Fatal(err)
	}

	registry, err := New(packages, options)
	if err != nil {
		t.Fatal(err)
	}

	server := httptest.NewTLSServer(registry.Handler())
	t.Cleanup(server.Close)

	return registry, server
}

type download struct {
	Filename            string   `json:"filename"`
	DownloadURL         string   `json:"download_url"`
	SHASumsURL          string   `json:"shasums_url"`
	SHASumsSignatureURL string   `json:"shasums_signature_url"`
	SHASum              string   `json:"shasum"`
	Protocols           []string `json:"protocols"`
	SigningKeys         struct {
		GPGPublicKeys []struct {
			KeyID      string `json:"key_id"`
			ASCIIArmor string `json:"ascii_armor"`
		} `json:"gpg_public_keys"`
	} `json:"signing_keys"`
}

func TestServesAReleaseAsTheRegistryProtocolDescribesIt(t *testing.T) {
	_, server := serve(t, Options{})

	var versions struct {
		Versions []struct {
			Version   string              `json:"version"`
			Protocols []string            `json:"protocols"`
			Platforms []map[string]string `json:"platforms"`
		} `json:"versions"`
	}
	if err := json.Unmarshal(get(t, server, "/v1/providers/siderolabs/talos/versions"), &versions); err != nil {
		t.Fatal(err)
	}

	if len(versions.Versions) != 1 || versions.Versions[0].Version != "0.5.0" || versions.Versions[0].Protocols[0] != "5.0" ||
		versions.Versions[0].Platforms[0]["os"] != "linux" || versions.Versions[0].Platforms[0]["arch"] != "amd64" {
		t.Fatalf("versions: %+v", versions)
	}

	var answer download
	if err := json.Unmarshal(get(t, server, "/v1/providers/siderolabs/talos/0.5.0/download/linux/amd64"), &answer); err != nil {
		t.Fatal(err)
	}

	if answer.Filename != "terraform-provider-talos_0.5.0_linux_amd64.zip" {
		t.Fatalf("filename %q", answer.Filename)
	}

	zip := get(t, server, answer.DownloadURL)
	sum := sha256.Sum256(zip)

	if hex.EncodeToString(sum[:]) != answer.SHASum {
		t.Fatalf("the zip's sha256 is not the shasum the download answer gives")
	}

	sums := get(t, server, answer.SHASumsURL)
	if !strings.Contains(string(sums), answer.SHASum+"  "+answer.Filename+"\n") {
		t.Fatalf("SHA256SUMS does not list the zip:\n%s", sums)
	}

	keyring, err := openpgp.ReadArmoredKeyRing(strings.NewReader(answer.SigningKeys.GPGPublicKeys[0].ASCIIArmor))
	if err != nil {
		t.Fatal(err)
	}

	signer, err := openpgp.CheckDetachedSignature(keyring, bytes.NewReader(sums), bytes.NewReader(get(t, server, answer.SHASumsSignatureURL)), nil)
	if err != nil {
		t.Fatalf("the signature of SHA256SUMS does not verify: %v", err)
	}

	if !strings.EqualFold(signer.PrimaryKey.KeyIdString(), answer.SigningKeys.GPGPublicKeys[0].KeyID) {
		t.Fatalf("signed by %s, the answer names %s", signer.PrimaryKey.KeyIdString(), answer.SigningKeys.GPGPublicKeys[0].KeyID)
	}
}

func TestACorruptZipNoLongerMatchesItsChecksum(t *testing.T) {
	_, server := serve(t, Options{Corrupt: []string{"siderolabs/talos"}})

	var answer download
	if err := json.Unmarshal(get(t, server, "/v1/providers/siderolabs/talos/0.5.0/download/linux/amd64"), &answer); err != nil {
		t.Fatal(err)
	}

	sum := sha256.Sum256(get(t, server, answer.DownloadURL))
	if hex.EncodeToString(sum[:]) == answer.SHASum {
		t.Fatal("the corrupt zip still matches its shasum")
	}
}

func TestCorruptingAnUnknownProviderIsAnError(t *testing.T) {
	packages, err := LoadMirror(mirror(t), "registry.terraform.io")
	if err != nil {
		t.Fatal(err)
	}

	if _, err := New(packages, Options{Corrupt: []string{"hashicorp/nothing"}}); err == nil || !strings.Contains(err.Error(), "hashicorp/nothing") {
		t.Fatalf("want an error naming hashicorp/nothing, got %v", err)
	}
}

func TestUnknownProvidersAreNotFound(t *testing.T) {
	_, server := serve(t, Options{})

	response, err := server.Client().Get(server.URL + "/v1/providers/hashicorp/null/versions")
	if err != nil {
		t.Fatal(err)
	}
	response.Body.Close()

	if response.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d", response.StatusCode)
	}
}

func TestListensOnLoopbackOnly(t *testing.T) {
	registry, _ := serve(t, Options{})

	if _, err := Start(registry, "192.168.1.1:0", filepath.Join(t.TempDir(), "ca.pem"), io.Discard); !errors.Is(err, ErrNotLoopback) {
		t.Fatalf("want ErrNotLoopback, got %v", err)
	}
}
