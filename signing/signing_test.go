package signing

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// The vectors in testdata were made with OpenSSH 9.2's ssh-keygen:
//
//	ssh-keygen -t ed25519|ecdsa|rsa -N "" -f id_TYPE
//	ssh-keygen -Y sign -n dirdeck-plan -f id_TYPE message.txt   → message_TYPE.sig
//	ssh-keygen -Y sign -n git -f id_ed25519 message.txt         → message_ed25519_git_namespace.sig
//	ssh-keygen -t ed25519 -N "secret passphrase" -f id_ed25519_encrypted
//
// and allowed_signers lists the three keys for TYPE@dirdeck.test with
// namespaces="dirdeck-plan". fingerprints.txt is ssh-keygen -lf's output.

var keyTypes = []string{"ed25519", "ecdsa", "rsa"}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fingerprints(t *testing.T) map[string]string {
	out := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(readTestdata(t, "fingerprints.txt"))), "\n") {
		typ, fp, _ := strings.Cut(l, " ")
		out[typ] = fp
	}
	return out
}

func TestVerifyOpenSSHVectors(t *testing.T) {
	msg := readTestdata(t, "message.txt")
	fps := fingerprints(t)
	trust, err := LoadAllowedSigners(filepath.Join("testdata", "allowed_signers"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, typ := range keyTypes {
		t.Run(typ, func(t *testing.T) {
			sig := string(readTestdata(t, "message_"+typ+".sig"))
			key, err := Verify(msg, sig)
			if err != nil {
				t.Fatalf("ssh-keygen's signature does not verify: %v", err)
			}
			if got := Fingerprint(key); got != fps[typ] {
				t.Errorf("fingerprint %s, ssh-keygen says %s", got, fps[typ])
			}
			if err := trust.Trusts(typ+"@dirdeck.test", key, now); err != nil {
				t.Errorf("trusted key refused: %v", err)
			}
			other := "ed25519@dirdeck.test"
			if typ == "ed25519" {
				other = "rsa@dirdeck.test"
			}
			if err := trust.Trusts(other, key, now); err == nil {
				t.Errorf("key of %s trusted as %s", typ, other)
			}
			edited := append(bytes.Clone(msg), '!')
			if _, err := Verify(edited, sig); err == nil {
				t.Error("signature verifies over edited content")
			}
		})
	}
}

func TestVerifyRefusesOtherNamespace(t *testing.T) {
	msg := readTestdata(t, "message.txt")
	_, err := Verify(msg, string(readTestdata(t, "message_ed25519_git_namespace.sig")))
	if err == nil || !strings.Contains(err.Error(), `namespace "git"`) {
		t.Fatalf("a git-namespace signature passed as dirdeck's: %v", err)
	}
}

func TestSignVerifiesWithOurselvesAndSSHKeygen(t *testing.T) {
	msg := []byte("plan statement\n")
	for _, typ := range keyTypes {
		t.Run(typ, func(t *testing.T) {
			s, err := LoadSigner(filepath.Join("testdata", "id_"+typ))
			if err != nil {
				t.Fatal(err)
			}
			sig, err := s.Sign(msg)
			if err != nil {
				t.Fatal(err)
			}
			key, err := Verify(msg, sig)
			if err != nil {
				t.Fatal(err)
			}
			if Fingerprint(key) != s.Fingerprint() || s.Fingerprint() != fingerprints(t)[typ] {
				t.Errorf("fingerprints differ: %s %s", Fingerprint(key), s.Fingerprint())
			}
			keygen, err := exec.LookPath("ssh-keygen")
			if err != nil {
				t.Skip("ssh-keygen not installed: checked against the committed vectors only")
			}
			dir := t.TempDir()
			sigPath := filepath.Join(dir, "msg.sig")
			if err := os.WriteFile(sigPath, []byte(sig), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(keygen, "-Y", "verify", "-f", filepath.Join("testdata", "allowed_signers"),
				"-I", typ+"@dirdeck.test", "-n", Namespace, "-s", sigPath)
			cmd.Stdin = bytes.NewReader(msg)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("ssh-keygen -Y verify refused our signature: %v\n%s", err, out)
			}
		})
	}
}

// serveAgent runs x/crypto's ssh-agent keyring on a unix socket and
// points SSH_AUTH_SOCK at it.
func serveAgent(t *testing.T, keys ...any) {
	t.Helper()
	kr := agent.NewKeyring()
	for _, k := range keys {
		if err := kr.Add(agent.AddedKey{PrivateKey: k}); err != nil {
			t.Fatal(err)
		}
	}
	sock := filepath.Join(t.TempDir(), "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); agent.ServeAgent(kr, c) }()
		}
	}()
	t.Setenv("SSH_AUTH_SOCK", sock)
}

func TestKeyFingerprint(t *testing.T) {
	fps := fingerprints(t)
	for _, name := range []string{"id_ed25519", "id_ed25519.pub", "id_rsa", "id_ecdsa.pub"} {
		typ := strings.TrimSuffix(strings.TrimPrefix(name, "id_"), ".pub")
		got, err := KeyFingerprint(filepath.Join("testdata", name))
		if err != nil || got != fps[typ] {
			t.Errorf("%s: %s %v, want %s", name, got, err, fps[typ])
		}
	}
	t.Setenv("SSH_AUTH_SOCK", "")
	enc, err := KeyFingerprint(filepath.Join("testdata", "id_ed25519_encrypted"))
	pub, perr := KeyFingerprint(filepath.Join("testdata", "id_ed25519_encrypted.pub"))
	if err != nil || perr != nil || enc != pub {
		t.Errorf("passphrase-protected key without an agent: %s %v, its .pub %s %v", enc, err, pub, perr)
	}
	if _, err := KeyFingerprint(filepath.Join("testdata", "message.txt")); err == nil {
		t.Error("a text file has a fingerprint")
	}
}

func TestLoadSignerUsesAgentForProtectedKeys(t *testing.T) {
	enc := filepath.Join("testdata", "id_ed25519_encrypted")
	t.Run("no agent", func(t *testing.T) {
		t.Setenv("SSH_AUTH_SOCK", "")
		if _, err := LoadSigner(enc); err == nil || !strings.Contains(err.Error(), "ssh-add") {
			t.Fatalf("passphrase-protected key without an agent: %v", err)
		}
	})
	t.Run("agent without the key", func(t *testing.T) {
		other, err := ssh.ParseRawPrivateKey(readTestdata(t, "id_rsa"))
		if err != nil {
			t.Fatal(err)
		}
		serveAgent(t, other)
		if _, err := LoadSigner(enc); err == nil || !strings.Contains(err.Error(), "not in ssh-agent") {
			t.Fatalf("agent without the key: %v", err)
		}
	})
	t.Run("agent with the key", func(t *testing.T) {
		raw, err := ssh.ParseRawPrivateKeyWithPassphrase(readTestdata(t, "id_ed25519_encrypted"), []byte("secret passphrase"))
		if err != nil {
			t.Fatal(err)
		}
		serveAgent(t, raw)
		for _, path := range []string{enc, enc + ".pub"} {
			s, err := LoadSigner(path)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if !strings.HasPrefix(s.Source, "ssh-agent") {
				t.Errorf("%s: source %q, want the agent", path, s.Source)
			}
			sig, err := s.Sign([]byte("x"))
			if err != nil {
				t.Fatal(err)
			}
			if key, err := Verify([]byte("x"), sig); err != nil || Fingerprint(key) != s.Fingerprint() {
				t.Fatalf("agent signature: %v", err)
			}
		}
	})
}

func TestAllowedSigners(t *testing.T) {
	pub := func(typ string) ssh.PublicKey {
		k, _, _, _, err := ssh.ParseAuthorizedKey(readTestdata(t, "id_"+typ+".pub"))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	line := func(prefix, typ string) string {
		return prefix + " " + strings.Join(strings.Fields(string(readTestdata(t, "id_"+typ+".pub")))[:2], " ")
	}
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name, file, principal, key string
		ok                         bool
	}{
		{"plain line allows any namespace", line("ana@acme.com", "ed25519"), "ana@acme.com", "ed25519", true},
		{"quoted principals and namespace list", line(`"bo@acme.com,ana@acme.com" namespaces="git,dirdeck-plan"`, "ed25519"), "ana@acme.com", "ed25519", true},
		{"other namespace only", line(`ana@acme.com namespaces="git"`, "ed25519"), "ana@acme.com", "ed25519", false},
		{"wildcard principal", line(`*@acme.com namespaces="dirdeck-plan"`, "ed25519"), "ana@acme.com", "ed25519", true},
		{"negated principal", line(`*@acme.com,!ana@acme.com`, "ed25519"), "ana@acme.com", "ed25519", false},
		{"other principal", line(`bo@acme.com`, "ed25519"), "ana@acme.com", "ed25519", false},
		{"other key", line(`ana@acme.com`, "rsa"), "ana@acme.com", "ed25519", false},
		{"cert-authority is not a plain key", line(`ana@acme.com cert-authority`, "ed25519"), "ana@acme.com", "ed25519", false},
		{"expired", line(`ana@acme.com valid-before="20261201Z"`, "ed25519"), "ana@acme.com", "ed25519", false},
		{"not yet valid", line(`ana@acme.com valid-after=20270101Z`, "ed25519"), "ana@acme.com", "ed25519", false},
		{"within validity", line(`ana@acme.com valid-after=20260101Z,valid-before=20270101Z`, "ed25519"), "ana@acme.com", "ed25519", true},
		{"comments and blanks", "# team keys\n\n" + line("ana@acme.com", "ed25519") + " ana's laptop", "ana@acme.com", "ed25519", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ParseAllowedSigners(strings.NewReader(tc.file))
			if err != nil {
				t.Fatal(err)
			}
			err = a.Trusts(tc.principal, pub(tc.key), now)
			if (err == nil) != tc.ok {
				t.Fatalf("Trusts = %v, want ok=%v", err, tc.ok)
			}
		})
	}
	for _, bad := range []string{"ana@acme.com", `ana@acme.com frobnicate ssh-ed25519 AAAA`, `"ana@acme.com ssh-ed25519 AAAA`, line(`ana@acme.com valid-before=yesterday`, "ed25519")} {
		if _, err := ParseAllowedSigners(strings.NewReader(bad)); err == nil {
			t.Errorf("malformed line accepted: %q", bad)
		}
	}
	var none *AllowedSigners
	if err := none.Trusts("ana@acme.com", pub("ed25519"), now); err == nil {
		t.Error("no allowed_signers file trusted a key")
	}
}
