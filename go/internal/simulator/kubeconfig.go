package simulator

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/internal/clientcert"
	"github.com/siderolabs/crypto/x509"
	"github.com/siderolabs/talos/pkg/machinery/config"
	"gopkg.in/yaml.v3"
)

// kubeconfig is the layout of a Kubernetes client configuration file.
type kubeconfig struct {
	APIVersion     string         `yaml:"apiVersion"`
	Kind           string         `yaml:"kind"`
	Clusters       []namedCluster `yaml:"clusters"`
	Users          []namedUser    `yaml:"users"`
	Contexts       []namedContext `yaml:"contexts"`
	CurrentContext string         `yaml:"current-context"`
	Preferences    struct{}       `yaml:"preferences"`
}

type namedCluster struct {
	Name    string `yaml:"name"`
	Cluster struct {
		Server                   string `yaml:"server"`
		CertificateAuthorityData string `yaml:"certificate-authority-data"`
	} `yaml:"cluster"`
}

type namedUser struct {
	Name string `yaml:"name"`
	User struct {
		ClientCertificateData string `yaml:"client-certificate-data"`
		ClientKeyData         string `yaml:"client-key-data"`
	} `yaml:"user"`
}

type namedContext struct {
	Name    string `yaml:"name"`
	Context struct {
		Cluster   string `yaml:"cluster"`
		Namespace string `yaml:"namespace"`
		User      string `yaml:"user"`
	} `yaml:"context"`
}

// adminKubeconfig builds the admin kubeconfig as Talos does: a client
// certificate for CN admin, O system:masters, signed by the cluster CA, valid
// from now (the node's clock) for validity (Talos: one year); the CA data are
// the accepted CAs and the cluster CA; the server is the cluster endpoint;
// cluster, user and context are named after the cluster.
func adminKubeconfig(cfg config.Provider, now time.Time, validity time.Duration) ([]byte, error) {
	issuing := cfg.Cluster().IssuingCA()
	if issuing == nil || len(issuing.Key) == 0 {
		return nil, errors.New("the configuration has no cluster CA with its key")
	}

	ca, err := x509.NewCertificateAuthorityFromCertificateAndKey(issuing)
	if err != nil {
		return nil, fmt.Errorf("cluster.ca: %w", err)
	}

	// Both bounds at the node's clock: the library's NotBefore is real time.
	keyPair, err := clientcert.NewKeyPair(ca, now, now.Add(validity), x509.CommonName("admin"), x509.Organization("system:masters"))
	if err != nil {
		return nil, err
	}

	var caData []byte
	for _, accepted := range cfg.Cluster().AcceptedCAs() {
		caData = append(caData, accepted.Crt...)
	}

	caData = append(caData, issuing.Crt...)

	name := cfg.Cluster().Name()
	user := "admin@" + name

	var kc kubeconfig

	kc.APIVersion, kc.Kind, kc.CurrentContext = "v1", "Config", user

	cluster := namedCluster{Name: name}
	cluster.Cluster.Server = cfg.Cluster().Endpoint().String()
	cluster.Cluster.CertificateAuthorityData = base64.StdEncoding.EncodeToString(caData)

	admin := namedUser{Name: user}
	admin.User.ClientCertificateData = base64.StdEncoding.EncodeToString(keyPair.CrtPEM)
	admin.User.ClientKeyData = base64.StdEncoding.EncodeToString(keyPair.KeyPEM)

	context := namedContext{Name: user}
	context.Context.Cluster, context.Context.Namespace, context.Context.User = name, "default", user

	kc.Clusters, kc.Users, kc.Contexts = []namedCluster{cluster}, []namedUser{admin}, []namedContext{context}

	return yaml.Marshal(&kc)
}

// adminKubeconfigArchive is the admin kubeconfig as the Kubeconfig API sends
// it: a gzipped tar with the single entry "kubeconfig" (mode 0600).
func adminKubeconfigArchive(cfg config.Provider, now time.Time, validity time.Duration) ([]byte, error) {
	content, err := adminKubeconfig(cfg, now, validity)
	if err != nil {
		return nil, err
	}

	var buffer bytes.Buffer

	gz := gzip.NewWriter(&buffer)
	archive := tar.NewWriter(gz)

	if err := archive.WriteHeader(&tar.Header{Name: "kubeconfig", Mode: 0o600, Size: int64(len(content)), ModTime: now}); err != nil {
		return nil, err
	}

	if _, err := archive.Write(content); err != nil {
		return nil, err
	}

	if err := archive.Close(); err != nil {
		return nil, err
	}

	if err := gz.Close(); err != nil {
		return nil, err
	}

	return buffer.Bytes(), nil
}
