package themes

import (
	"image/color"
	"strings"
	"testing"
)

func TestByName(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"dark", Dark, false},
		{"LIGHT", Light, false},
		{" high-contrast ", HighContrast, false},
		{"hc", HighContrast, false},
		{"no-color", NoColor, false},
		{"no-colour", NoColor, false},
		{"none", NoColor, false},
		{"solarized", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		got, err := ByName(tt.in)
		if (err != nil) != tt.wantErr {
			t.Fatalf("ByName(%q) err = %v, wantErr %v", tt.in, err, tt.wantErr)
		}
		if err != nil {
			if !strings.Contains(err.Error(), "dark, light, high-contrast, no-color") {
				t.Errorf("ByName(%q) error %q does not list the valid names", tt.in, err)
			}
			continue
		}
		if got.Name != tt.want {
			t.Errorf("ByName(%q).Name = %q, want %q", tt.in, got.Name, tt.want)
		}
	}
}

func TestChoose(t *testing.T) {
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	tests := []struct {
		name     string
		explicit string
		env      map[string]string
		want     string
		wantErr  bool
	}{
		{"default dark", "", nil, Dark, false},
		{"NO_COLOR empty value still counts", "", map[string]string{"NO_COLOR": ""}, NoColor, false},
		{"NO_COLOR=1", "", map[string]string{"NO_COLOR": "1"}, NoColor, false},
		{"explicit beats NO_COLOR", "light", map[string]string{"NO_COLOR": "1"}, Light, false},
		{"explicit unknown", "neon", nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Choose(tt.explicit, env(tt.env))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && got.Name != tt.want {
				t.Errorf("got %q, want %q", got.Name, tt.want)
			}
		})
	}
}

func TestForBackground(t *testing.T) {
	tests := []struct {
		bg   color.Color
		want string
	}{
		{nil, Dark},
		{color.RGBA{0, 0, 0, 255}, Dark},
		{color.RGBA{0x28, 0x2c, 0x34, 255}, Dark},
		{color.RGBA{255, 255, 255, 255}, Light},
		{color.RGBA{0xfd, 0xf6, 0xe3, 255}, Light}, // solarized light
	}
	for _, tt := range tests {
		if got := ForBackground(tt.bg).Name; got != tt.want {
			t.Errorf("ForBackground(%v) = %q, want %q", tt.bg, got, tt.want)
		}
	}
}

func TestNoColorHasNoColours(t *testing.T) {
	th, err := ByName(NoColor)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		th.Header.Render("x"), th.BadgeDemo.Render("DEMO"), th.RowSelected.Render("row"),
		th.Status("ACTIVE").Render("ACTIVE"), th.Status("SUSPENDED").Render("S"), th.Error.Render("e"),
	} {
		// 38;/48; introduce foreground/background colours in SGR.
		if strings.Contains(s, "38;") || strings.Contains(s, "48;") {
			t.Errorf("no-color style emitted a colour: %q", s)
		}
	}
}

func TestStatusStyles(t *testing.T) {
	th, _ := ByName(Dark)
	if th.Status("ACTIVE").Render("x") == th.Status("SUSPENDED").Render("x") {
		t.Error("ACTIVE and SUSPENDED render alike in the dark theme")
	}
	if th.Status("SOMETHING_NEW").Render("x") != th.Row.Render("x") {
		t.Error("unknown status should fall back to the row style")
	}
	if !IsAuto(th) {
		t.Error("dark should follow the terminal background")
	}
	hc, _ := ByName(HighContrast)
	if IsAuto(hc) {
		t.Error("high-contrast must not be replaced by background detection")
	}
}
