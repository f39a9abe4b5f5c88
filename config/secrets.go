package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	dbus "github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"
)

// keyringService is the keyring service name under which tokens are stored;
// the keyring user is the profile name.
const keyringService = appName

var (
	// ErrNoKeyring means there is no usable OS keyring on this machine
	// (headless Linux without a D-Bus Secret Service, CI). The token has to
	// come from DIRDECK_API_TOKEN instead.
	ErrNoKeyring = errors.New("no OS keyring available: set DIRDECK_API_TOKEN in the environment instead")
	// ErrNoToken means the keyring works but holds no token for the profile.
	ErrNoToken = errors.New("no API token stored")
)

// noKeyringError keeps the reason the keyring is unusable next to
// ErrNoKeyring, for support, without changing what errors.Is sees.
type noKeyringError struct{ cause error }

func (e *noKeyringError) Error() string {
	return fmt.Sprintf("no OS keyring available (%v): set DIRDECK_API_TOKEN in the environment instead", e.cause)
}

func (e *noKeyringError) Is(target error) bool { return target == ErrNoKeyring }

func (e *noKeyringError) Unwrap() error { return e.cause }

// sessionBusMissing reports whether, on a D-Bus platform, no session bus
// can be found without launching one. go-keyring would otherwise let godbus
// run dbus-launch, which starts a stray bus daemon per call on machines
// that have it installed and still has no Secret Service behind it.
// Tests that use keyring.MockInit replace it.
var sessionBusMissing = func() bool {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		return false
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return false
	}
	runDir := filepath.Join("/run/user", strconv.Itoa(os.Getuid()))
	for _, name := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(filepath.Join(runDir, name)); err == nil {
			return false
		}
	}
	return true
}

// keyringErr maps go-keyring's errors to ErrNoToken, ErrNoKeyring or a
// wrapped keyring failure. Errors from go-keyring never contain the secret.
func keyringErr(op, profile string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("%w for profile %q", ErrNoToken, profile)
	}
	if isNoKeyring(err) {
		return &noKeyringError{cause: err}
	}
	return fmt.Errorf("%s token for profile %q in the OS keyring: %w", op, profile, err)
}

// isNoKeyring tells "there is no keyring here" from "the keyring refused":
// an unsupported platform, a session bus that cannot be reached, or a bus
// without a Secret Service on it.
func isNoKeyring(err error) bool {
	if errors.Is(err, keyring.ErrUnsupportedPlatform) {
		return true
	}
	var netErr net.Error
	var execErr *exec.Error
	var pathErr *fs.PathError
	if errors.As(err, &netErr) || errors.As(err, &execErr) || errors.As(err, &pathErr) {
		return true
	}
	name := ""
	var dbusErr dbus.Error
	var dbusErrPtr *dbus.Error
	switch {
	case errors.As(err, &dbusErr):
		name = dbusErr.Name
	case errors.As(err, &dbusErrPtr):
		name = dbusErrPtr.Name
	}
	return name == "org.freedesktop.DBus.Error.ServiceUnknown" ||
		name == "org.freedesktop.DBus.Error.NameHasNoOwner" ||
		strings.HasPrefix(name, "org.freedesktop.DBus.Error.Spawn.")
}

// ValidateToken checks the shape of an Okta SSWS API token without
// revealing it: errors never contain the token.
func ValidateToken(token string) error {
	t := strings.TrimSpace(token)
	if t == "" {
		return errors.New("the API token is empty")
	}
	if strings.ContainsFunc(t, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return errors.New("the API token contains spaces, control or non-ASCII characters")
	}
	if !strings.HasPrefix(t, "00") {
		return errors.New(`that is not an Okta API token: SSWS tokens start with "00"`)
	}
	if len(t) < 8 || len(t) > 512 {
		return fmt.Errorf("the API token has %d characters; Okta API tokens have about 42", len(t))
	}
	return nil
}

// SetToken stores an SSWS API token for profile in the OS keyring
// (surrounding whitespace dropped) and records now as the token's "added"
// time for token-age warnings.
func SetToken(profile, token string) error {
	if err := checkProfileFileName(profile); err != nil {
		return err
	}
	if err := ValidateToken(token); err != nil {
		return err
	}
	if sessionBusMissing() {
		return &noKeyringError{cause: errors.New("no D-Bus session bus for a Secret Service")}
	}
	if err := keyringErr("store", profile, keyring.Set(keyringService, profile, strings.TrimSpace(token))); err != nil {
		return err
	}
	return resetTokenUse(profile, time.Now())
}

// Token returns the SSWS token stored for profile in the OS keyring:
// ErrNoToken when there is none, ErrNoKeyring when there is no keyring.
func Token(profile string) (string, error) {
	if err := checkProfileFileName(profile); err != nil {
		return "", err
	}
	if sessionBusMissing() {
		return "", &noKeyringError{cause: errors.New("no D-Bus session bus for a Secret Service")}
	}
	tok, err := keyring.Get(keyringService, profile)
	if err != nil {
		return "", keyringErr("read", profile, err)
	}
	return tok, nil
}

// DeleteToken removes profile's token from the OS keyring and forgets its
// use times: ErrNoToken when there was none, ErrNoKeyring when there is no
// keyring.
func DeleteToken(profile string) error {
	if err := checkProfileFileName(profile); err != nil {
		return err
	}
	if sessionBusMissing() {
		return &noKeyringError{cause: errors.New("no D-Bus session bus for a Secret Service")}
	}
	if err := keyringErr("delete", profile, keyring.Delete(keyringService, profile)); err != nil {
		return err
	}
	return ForgetTokenUse(profile)
}
