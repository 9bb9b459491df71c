package clientcert

import (
	"testing"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/contract"
)

func TestTheSignedCertificateIsAsTheContractSays(t *testing.T) {
	signed := &Signed{
		Certificate: "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCi4uLgotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg==",
		Key:         "LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCi4uLgotLS0tLUVORCBFQyBQUklWQVRFIEtFWS0tLS0tCg==",
	}

	if err := contract.Matches("client-cert.json", signed); err != nil {
		t.Error(err)
	}

	if err := contract.RoundTrip("client-cert.json", &Signed{}); err != nil {
		t.Error(err)
	}
}
