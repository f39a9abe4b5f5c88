// Package signing signs dirdeck's plan statements with the OpenSSH keys
// admins already have and verifies them: SSHSIG signatures (the format of
// `ssh-keygen -Y sign` and of git's SSH-signed commits, via
// github.com/hiddeco/sshsig) in the namespace "dirdeck-plan", with keys from
// a key file or ssh-agent, and trust decided by an OpenSSH allowed_signers
// file that maps principals (Okta logins) to public keys.
//
// The package knows nothing of plans: it signs and checks bytes. What the
// bytes say, and whose login must match, is package plan's business.
package signing

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// Namespace is the SSHSIG namespace of every dirdeck signature, so that a
// signature made for git (or anything else) never passes as a dirdeck
// approval and the other way round.
const Namespace = "dirdeck-plan"

// hashAlg is the message hash of new signatures (ssh-keygen's default).
const hashAlg = sshsig.HashSHA512

// ErrNoAgent: the key needs ssh-agent (passphrase-protected, or only the
// public half was given) and none is reachable.
var ErrNoAgent = errors.New("ssh-agent is not reachable (SSH_AUTH_SOCK unset or dead)")

// Signer signs with one OpenSSH key, held in memory or by ssh-agent.
type Signer struct {
	signer ssh.Signer
	// Source says where the key came from, for messages: the file, or
	// "ssh-agent (file.pub)".
	Source string
}

// LoadSigner returns the signer of the key file at path (as
// DIRDECK_SIGNING_KEY or a profile's signing_key name it). An unencrypted
// private key signs in process. A passphrase-protected private key, or a
// public key file (".pub", as git's user.signingKey allows), signs through
// ssh-agent, which must hold the matching key: dirdeck never asks for a
// passphrase itself.
func LoadSigner(path string) (*Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	if s, err := ssh.ParsePrivateKey(b); err == nil {
		return &Signer{signer: s, Source: path}, nil
	} else {
		var missing *ssh.PassphraseMissingError
		if errors.As(err, &missing) && missing.PublicKey != nil {
			return agentSigner(missing.PublicKey, path)
		}
		if pub, _, _, _, perr := ssh.ParseAuthorizedKey(b); perr == nil {
			return agentSigner(pub, path)
		}
		return nil, fmt.Errorf("signing key %s: not an OpenSSH private or public key: %w", path, err)
	}
}

// KeyFingerprint is the fingerprint of the key file at path (private,
// passphrase-protected or public) without signing anything or asking
// ssh-agent: what the audit log records as the key an admin works with.
func KeyFingerprint(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("signing key: %w", err)
	}
	if s, err := ssh.ParsePrivateKey(b); err == nil {
		return ssh.FingerprintSHA256(s.PublicKey()), nil
	} else {
		var missing *ssh.PassphraseMissingError
		if errors.As(err, &missing) && missing.PublicKey != nil {
			return ssh.FingerprintSHA256(missing.PublicKey), nil
		}
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		return "", fmt.Errorf("signing key %s: not an OpenSSH private or public key: %w", path, err)
	}
	return ssh.FingerprintSHA256(pub), nil
}

// agentSigner finds pub among ssh-agent's keys.
func agentSigner(pub ssh.PublicKey, path string) (*Signer, error) {
	sock := os.Getenv("SSH_AUTH_SOCK")
	if sock == "" {
		return nil, fmt.Errorf("signing key %s is passphrase-protected or public only: load it into ssh-agent (ssh-add): %w", path, ErrNoAgent)
	}
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w: %v", path, ErrNoAgent, err)
	}
	signers, err := agent.NewClient(conn).Signers()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("signing key %s: list ssh-agent keys: %w", path, err)
	}
	want := pub.Marshal()
	for _, s := range signers {
		if bytes.Equal(s.PublicKey().Marshal(), want) {
			// The connection stays open for the signer's lifetime: a
			// dirdeck process signs a handful of statements at most.
			return &Signer{signer: s, Source: "ssh-agent (" + path + ")"}, nil
		}
	}
	conn.Close()
	return nil, fmt.Errorf("signing key %s (%s) is not in ssh-agent: add it with ssh-add", path, ssh.FingerprintSHA256(pub))
}

// Fingerprint is the key's "SHA256:..." fingerprint, as ssh-keygen -l
// prints it.
func (s *Signer) Fingerprint() string { return ssh.FingerprintSHA256(s.signer.PublicKey()) }

// PublicKey is the signing key's public half.
func (s *Signer) PublicKey() ssh.PublicKey { return s.signer.PublicKey() }

// Sign signs msg in the dirdeck namespace and returns the armored
// signature ("-----BEGIN SSH SIGNATURE-----"), which `ssh-keygen -Y
// verify -n dirdeck-plan` accepts too.
func (s *Signer) Sign(msg []byte) (string, error) {
	sig, err := sshsig.SignWithRand(bytes.NewReader(msg), rand.Reader, s.signer, hashAlg, Namespace)
	if err != nil {
		return "", fmt.Errorf("sign with %s (%s): %w", s.Source, s.Fingerprint(), err)
	}
	return string(sshsig.Armor(sig)), nil
}

// Verify checks that armored is a valid dirdeck-namespace signature of
// msg by the key it names, and returns that key. It says nothing about
// whether the key is trusted: ask AllowedSigners.
func Verify(msg []byte, armored string) (ssh.PublicKey, error) {
	sig, err := sshsig.Unarmor([]byte(strings.TrimSpace(armored)))
	if err != nil {
		return nil, fmt.Errorf("not an SSH signature: %w", err)
	}
	if sig.Namespace != Namespace {
		return nil, fmt.Errorf("signature is for namespace %q, not %q", sig.Namespace, Namespace)
	}
	if err := sshsig.Verify(bytes.NewReader(msg), sig, sig.PublicKey, sig.HashAlgorithm, Namespace); err != nil {
		return nil, fmt.Errorf("signature does not match the signed content (edited, or made for other content): %w", err)
	}
	return sig.PublicKey, nil
}

// Fingerprint is the "SHA256:..." fingerprint of a public key.
func Fingerprint(k ssh.PublicKey) string { return ssh.FingerprintSHA256(k) }
