// Package testregistry serves Terraform providers by the provider registry
// protocol (providers.v1) over HTTPS on loopback, as registry.terraform.io and
// registry.opentofu.org serve a release: the versions, a download answer per
// platform, the release zips, SHA256SUMS and its detached OpenPGP signature,
// signed with a key made at start. The official releases cannot be reached
// from the machines this project is built on, so tests package the providers
// built from their release sources as release zips and serve them here, to
// prove the path of a user's machine: terraform (or tofu) installing the
// providers from a registry. Test tooling only; production code never runs it.
package testregistry

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Package is one provider release for one platform, as a release zip.
type Package struct {
	Namespace string `json:"namespace"`
	Type      string `json:"type"`
	Version   string `json:"version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	// Filename is the zip's name, as goreleaser names it in a provider's release.
	Filename string `json:"filename"`
	// SHA256 is the zip's sha256 (hex), as SHA256SUMS lists it: the lock file's zh: hash.
	SHA256 string `json:"sha256"`
	zip    []byte
}

// Provider is the package's provider address without host, e.g. siderolabs/talos.
func (p Package) Provider() string { return p.Namespace + "/" + p.Type }

// releaseTime is every zip entry's time: the same binaries make the same zips.
var releaseTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// LoadMirror reads the providers of an unpacked filesystem mirror
// (<dir>/<host>/<namespace>/<type>/<version>/<os>_<arch>/terraform-provider-<type>_v<version>)
// and packages each as a release zip. The zips are stored, not deflated: the
// binaries are large, and a test waits on every start.
func LoadMirror(dir, host string) ([]Package, error) {
	root := filepath.Join(dir, host)

	var packages []Package

	err := filepath.WalkDir(root, func(file string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}

		if entry.IsDir() {
			return nil
		}

		parts := strings.Split(filepath.ToSlash(strings.TrimPrefix(file, root+string(filepath.Separator))), "/")
		if len(parts) != 5 || !strings.HasPrefix(parts[4], "terraform-provider-") {
			return nil
		}

		namespace, providerType, version, platform := parts[0], parts[1], parts[2], parts[3]

		goos, goarch, ok := strings.Cut(platform, "_")
		if !ok {
			return fmt.Errorf("%s: %q is no <os>_<arch> folder", file, platform)
		}

		binary, err := os.ReadFile(file)
		if err != nil {
			return err
		}

		archive, err := releaseZip(parts[4], binary)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}

		sum := sha256.Sum256(archive)
		packages = append(packages, Package{
			Namespace: namespace,
			Type:      providerType,
			Version:   version,
			OS:        goos,
			Arch:      goarch,
			Filename:  fmt.Sprintf("terraform-provider-%s_%s_%s_%s.zip", providerType, version, goos, goarch),
			SHA256:    hex.EncodeToString(sum[:]),
			zip:       archive,
		})

		return nil
	})
	if err != nil {
		return nil, err
	}

	if len(packages) == 0 {
		return nil, fmt.Errorf("no provider binaries under %s", root)
	}

	sort.Slice(packages, func(i, j int) bool { return packages[i].Filename < packages[j].Filename })

	return packages, nil
}

// releaseZip is a zip holding the one executable, as a provider release's zip.
func releaseZip(name string, binary []byte) ([]byte, error) {
	var buffer bytes.Buffer

	writer := zip.NewWriter(&buffer)
	header := &zip.FileHeader{Name: name, Method: zip.Store, Modified: releaseTime}
	header.SetMode(0o755)

	entry, err := writer.CreateHeader(header)
	if err != nil {
		return nil, err
	}

	if _, err := entry.Write(binary); err != nil {
		return nil, err
	}

	if err := writer.Close(); err != nil {
		return nil, err
	}

	return buffer.Bytes(), nil
}

// Options of New.
type Options struct {
	// Protocols are the plugin protocol versions each provider declares; the
	// three pinned releases declare 5.0 in their terraform-registry-manifest.json.
	Protocols []string
	// Corrupt names providers (namespace/type) whose zips are served with one
	// byte changed after SHA256SUMS was made: a download that does not match
	// its checksum.
	Corrupt []string
}

// Registry answers the provider registry protocol for its packages.
type Registry struct {
	packages  []Package
	protocols []string
	// sums and signatures by "namespace/type/version".
	sums       map[string][]byte
	signatures map[string][]byte
	keyID      string
	keyArmor   string
}

// New makes the signing key, SHA256SUMS and its signature for each release.
func New(packages []Package, options Options) (*Registry, error) {
	entity, err := openpgp.NewEntity("Cloudkoffer test registry", "test key, made at start", "test-registry@localhost", &packet.Config{RSABits: 2048})
	if err != nil {
		return nil, fmt.Errorf("making the signing key: %w", err)
	}

	var public bytes.Buffer

	armored, err := armor.Encode(&public, openpgp.PublicKeyType, nil)
	if err != nil {
		return nil, err
	}

	if err := entity.Serialize(armored); err != nil {
		return nil, err
	}

	if err := armored.Close(); err != nil {
		return nil, err
	}

	registry := &Registry{
		protocols:  options.Protocols,
		sums:       map[string][]byte{},
		signatures: map[string][]byte{},
		keyID:      strings.ToUpper(entity.PrimaryKey.KeyIdString()),
		keyArmor:   public.String(),
	}
	if len(registry.protocols) == 0 {
		registry.protocols = []string{"5.0"}
	}

	for _, pkg := range packages {
		key := releaseKey(pkg.Namespace, pkg.Type, pkg.Version)
		registry.sums[key] = append(registry.sums[key], []byte(fmt.Sprintf("%s  %s\n", pkg.SHA256, pkg.Filename))...)
	}

	for key, sums := range registry.sums {
		var signature bytes.Buffer
		if err := openpgp.DetachSign(&signature, entity, bytes.NewReader(sums), nil); err != nil {
			return nil, fmt.Errorf("signing SHA256SUMS of %s: %w", key, err)
		}

		registry.signatures[key] = signature.Bytes()
	}

	for _, provider := range options.Corrupt {
		found := false

		for i := range packages {
			if packages[i].Provider() != provider {
				continue
			}

			found = true
			changed := bytes.Clone(packages[i].zip)
			// Inside the stored binary: the zip still opens, its checksum no longer matches.
			changed[len(changed)/2] ^= 0xff
			packages[i].zip = changed
		}

		if !found {
			return nil, fmt.Errorf("-corrupt %s: the registry serves no such provider", provider)
		}
	}

	registry.packages = packages

	return registry, nil
}

// Packages are what the registry serves, with the checksums SHA256SUMS lists.
func (r *Registry) Packages() []Package { return r.packages }

func releaseKey(namespace, providerType, version string) string {
	return namespace + "/" + providerType + "/" + version
}

// sumsName is the name of a release's SHA256SUMS (its signature: + ".sig").
func sumsName(providerType, version string) string {
	return fmt.Sprintf("terraform-provider-%s_%s_SHA256SUMS", providerType, version)
}

// Handler serves the registry: /.well-known/terraform.json, /v1/providers/...
// and /files/<release>/...
func (r *Registry) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/terraform.json", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]string{"providers.v1": "/v1/providers/"})
	})
	mux.HandleFunc("GET /v1/providers/{namespace}/{type}/versions", r.versions)
	mux.HandleFunc("GET /v1/providers/{namespace}/{type}/{version}/download/{os}/{arch}", r.download)
	mux.HandleFunc("GET /files/{namespace}/{type}/{version}/{file}", r.file)

	return mux
}

func (r *Registry) versions(w http.ResponseWriter, req *http.Request) {
	type platform struct {
		OS   string `json:"os"`
		Arch string `json:"arch"`
	}

	type version struct {
		Version   string     `json:"version"`
		Protocols []string   `json:"protocols"`
		Platforms []platform `json:"platforms"`
	}

	byVersion := map[string]*version{}

	var order []string

	for _, pkg := range r.packages {
		if pkg.Namespace != req.PathValue("namespace") || pkg.Type != req.PathValue("type") {
			continue
		}

		entry, ok := byVersion[pkg.Version]
		if !ok {
			entry = &version{Version: pkg.Version, Protocols: r.protocols}
			byVersion[pkg.Version] = entry
			order = append(order, pkg.Version)
		}

		entry.Platforms = append(entry.Platforms, platform{OS: pkg.OS, Arch: pkg.Arch})
	}

	if len(order) == 0 {
		http.Error(w, `{"errors":["Not Found"]}`, http.StatusNotFound)

		return
	}

	versions := make([]version, 0, len(order))
	for _, v := range order {
		versions = append(versions, *byVersion[v])
	}

	writeJSON(w, map[string]any{"versions": versions})
}

func (r *Registry) find(namespace, providerType, version, goos, goarch string) (Package, bool) {
	for _, pkg := range r.packages {
		if pkg.Namespace == namespace && pkg.Type == providerType && pkg.Version == version && pkg.OS == goos && pkg.Arch == goarch {
			return pkg, true
		}
	}

	return Package{}, false
}

func (r *Registry) download(w http.ResponseWriter, req *http.Request) {
	namespace, providerType, version := req.PathValue("namespace"), req.PathValue("type"), req.PathValue("version")

	pkg, ok := r.find(namespace, providerType, version, req.PathValue("os"), req.PathValue("arch"))
	if !ok {
		http.Error(w, `{"errors":["Not Found"]}`, http.StatusNotFound)

		return
	}

	base := fmt.Sprintf("/files/%s/%s/%s/", namespace, providerType, version)
	sums := sumsName(providerType, version)
	writeJSON(w, map[string]any{
		"protocols":             r.protocols,
		"os":                    pkg.OS,
		"arch":                  pkg.Arch,
		"filename":              pkg.Filename,
		"download_url":          base + pkg.Filename,
		"shasums_url":           base + sums,
		"shasums_signature_url": base + sums + ".sig",
		"shasum":                pkg.SHA256,
		"signing_keys": map[string]any{
			"gpg_public_keys": []map[string]any{{
				"key_id":          r.keyID,
				"ascii_armor":     r.keyArmor,
				"trust_signature": "",
				"source":          "Cloudkoffer test registry",
				"source_url":      nil,
			}},
		},
	})
}

func (r *Registry) file(w http.ResponseWriter, req *http.Request) {
	namespace, providerType, version, name := req.PathValue("namespace"), req.PathValue("type"), req.PathValue("version"), req.PathValue("file")
	key := releaseKey(namespace, providerType, version)
	sums := sumsName(providerType, version)

	switch {
	case name == sums && r.sums[key] != nil:
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write(r.sums[key])
	case name == sums+".sig" && r.signatures[key] != nil:
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(r.signatures[key])
	default:
		for _, pkg := range r.packages {
			if releaseKey(pkg.Namespace, pkg.Type, pkg.Version) == key && pkg.Filename == name {
				w.Header().Set("Content-Type", "application/zip")
				_, _ = w.Write(pkg.zip)

				return
			}
		}

		http.NotFound(w, req)
	}
}

func writeJSON(w http.ResponseWriter, value any) {
	w.Header().Set("Content-Type", "application/json")

	if err := json.NewEncoder(w).Encode(value); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

// ErrNotLoopback: the registry listens on loopback addresses only.
var ErrNotLoopback = errors.New("the test registry listens on loopback addresses only")
