// Package themes holds dirdeck's colour palettes (dark, light,
// high-contrast and no-colour) as ready-made lipgloss styles, so that the
// TUI and the CLI's human output look alike and a theme switch is a single
// value swap rather than a restyle of every component.
package themes

import (
	"fmt"
	"image/color"
	"os"
	"strings"

	"charm.land/lipgloss/v2"
)

// Theme names accepted by ByName.
const (
	Dark         = "dark"
	Light        = "light"
	HighContrast = "high-contrast"
	NoColor      = "no-color"
)

// Theme is a complete set of styles for dirdeck's screens. Styles carry no
// width or padding except where noted: layout belongs to the components.
type Theme struct {
	// Name is the canonical theme name (one of the constants above).
	Name string
	// IsDark tells components that derive their own styles (help, inputs)
	// which background they sit on.
	IsDark bool

	Header     lipgloss.Style // the top bar
	HeaderDim  lipgloss.Style // secondary header text (profile, sync age)
	Title      lipgloss.Style // pane titles and detail section headings
	Breadcrumb lipgloss.Style
	Muted      lipgloss.Style // labels, placeholders, "no data"

	BadgeDemo     lipgloss.Style
	BadgeBundle   lipgloss.Style
	BadgeReadOnly lipgloss.Style
	BadgeWrite    lipgloss.Style

	TableHeader lipgloss.Style
	Row         lipgloss.Style
	RowSelected lipgloss.Style

	OK      lipgloss.Style
	Warning lipgloss.Style
	Error   lipgloss.Style

	Prompt lipgloss.Style // ":" palette and "/" filter prompts

	HelpKey  lipgloss.Style
	HelpDesc lipgloss.Style
	HelpSep  lipgloss.Style

	status map[string]lipgloss.Style
}

// Status returns the style for a user or app status (ACTIVE, SUSPENDED,
// DEPROVISIONED, INACTIVE, ...). Unknown statuses get the row style so a
// new Okta status still renders.
func (t Theme) Status(status string) lipgloss.Style {
	if s, ok := t.status[status]; ok {
		return s
	}
	return t.Row
}

// Names lists the theme names ByName accepts, in a stable order for
// completion and help.
func Names() []string {
	return []string{Dark, Light, HighContrast, NoColor}
}

// ByName returns the named theme. Aliases: "nocolor", "no-colour", "none",
// "mono" for no-color and "hc" for high-contrast.
func ByName(name string) (Theme, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case Dark:
		return dark(), nil
	case Light:
		return light(), nil
	case HighContrast, "hc", "highcontrast":
		return highContrast(), nil
	case NoColor, "nocolor", "no-colour", "nocolour", "none", "mono":
		return noColor(), nil
	}
	return Theme{}, fmt.Errorf("unknown theme %q (want one of %s)", name, strings.Join(Names(), ", "))
}

// NoColorRequested reports whether the NO_COLOR convention asks for no
// colour. The brief for dirdeck treats the variable as set with any value,
// including empty, because people export it bare.
func NoColorRequested(lookup func(string) (string, bool)) bool {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	_, ok := lookup("NO_COLOR")
	return ok
}

// Choose picks the starting theme: an explicit name wins (an unknown one is
// an error), then NO_COLOR, then dark — the TUI may switch dark to light
// once the terminal answers a background-colour query (see ForBackground).
func Choose(explicit string, lookup func(string) (string, bool)) (Theme, error) {
	if explicit != "" {
		return ByName(explicit)
	}
	if NoColorRequested(lookup) {
		return noColor(), nil
	}
	return dark(), nil
}

// ForBackground returns dark or light for a terminal background colour.
// A nil colour (no answer) means dark.
func ForBackground(bg color.Color) Theme {
	if bg == nil {
		return dark()
	}
	r, g, b, _ := bg.RGBA()
	// Rec. 601 luma on 16-bit channels; > half means a light background.
	luma := (299*float64(r) + 587*float64(g) + 114*float64(b)) / 1000
	if luma > 0x7fff {
		return light()
	}
	return dark()
}

// IsAuto reports whether a theme may be replaced by ForBackground: only
// dark and light follow the terminal; an explicit high-contrast or
// no-colour choice stays.
func IsAuto(t Theme) bool {
	return t.Name == Dark || t.Name == Light
}

type palette struct {
	fg, muted, accent, headerBg, headerFg, selBg, selFg    string
	green, yellow, red, blue, orange, magenta, warn, error string
}

func fromPalette(name string, isDark bool, p palette) Theme {
	c := lipgloss.Color
	st := lipgloss.NewStyle
	badge := func(bg string) lipgloss.Style {
		return st().Bold(true).Foreground(c("#000000")).Background(c(bg)).Padding(0, 1)
	}
	t := Theme{
		Name:          name,
		IsDark:        isDark,
		Header:        st().Bold(true).Foreground(c(p.headerFg)).Background(c(p.headerBg)),
		HeaderDim:     st().Foreground(c(p.muted)).Background(c(p.headerBg)),
		Title:         st().Bold(true).Foreground(c(p.accent)),
		Breadcrumb:    st().Foreground(c(p.accent)),
		Muted:         st().Foreground(c(p.muted)),
		BadgeDemo:     badge(p.magenta),
		BadgeBundle:   badge(p.blue),
		BadgeReadOnly: badge(p.yellow),
		BadgeWrite:    badge(p.red),
		TableHeader:   st().Bold(true).Foreground(c(p.accent)),
		Row:           st().Foreground(c(p.fg)),
		RowSelected:   st().Bold(true).Foreground(c(p.selFg)).Background(c(p.selBg)),
		OK:            st().Foreground(c(p.green)),
		Warning:       st().Foreground(c(p.warn)),
		Error:         st().Bold(true).Foreground(c(p.error)),
		Prompt:        st().Bold(true).Foreground(c(p.accent)),
		HelpKey:       st().Foreground(c(p.accent)),
		HelpDesc:      st().Foreground(c(p.muted)),
		HelpSep:       st().Foreground(c(p.muted)),
	}
	t.status = map[string]lipgloss.Style{
		"ACTIVE":           st().Foreground(c(p.green)),
		"SUSPENDED":        st().Foreground(c(p.yellow)),
		"DEPROVISIONED":    st().Foreground(c(p.red)),
		"STAGED":           st().Foreground(c(p.blue)),
		"PROVISIONED":      st().Foreground(c(p.blue)),
		"RECOVERY":         st().Foreground(c(p.orange)),
		"PASSWORD_EXPIRED": st().Foreground(c(p.orange)),
		"LOCKED_OUT":       st().Foreground(c(p.orange)),
		"INACTIVE":         st().Foreground(c(p.muted)),
	}
	return t
}

func dark() Theme {
	return fromPalette(Dark, true, palette{
		fg: "#D0D0D0", muted: "#8A8A8A", accent: "#5FAFFF", headerBg: "#262640", headerFg: "#FFFFFF",
		selBg: "#3A3A6A", selFg: "#FFFFFF", green: "#5FD75F", yellow: "#FFD75F", red: "#FF5F5F",
		blue: "#5FAFFF", orange: "#FFAF5F", magenta: "#FF87D7", warn: "#FFD75F", error: "#FF5F5F",
	})
}

func light() Theme {
	return fromPalette(Light, false, palette{
		fg: "#1C1C1C", muted: "#6C6C6C", accent: "#005FAF", headerBg: "#D7D7FF", headerFg: "#000000",
		selBg: "#AFD7FF", selFg: "#000000", green: "#008700", yellow: "#AF8700", red: "#D70000",
		blue: "#005FD7", orange: "#D75F00", magenta: "#AF00AF", warn: "#AF5F00", error: "#D70000",
	})
}

func highContrast() Theme {
	t := fromPalette(HighContrast, true, palette{
		fg: "#FFFFFF", muted: "#FFFFFF", accent: "#00FFFF", headerBg: "#000000", headerFg: "#FFFFFF",
		selBg: "#FFFF00", selFg: "#000000", green: "#00FF00", yellow: "#FFFF00", red: "#FF0000",
		blue: "#00FFFF", orange: "#FFAF00", magenta: "#FF00FF", warn: "#FFFF00", error: "#FF0000",
	})
	t.Header = t.Header.Underline(true)
	t.TableHeader = t.TableHeader.Underline(true)
	return t
}

// noColor uses only attributes (bold, reverse, faint, underline) so that
// state stays visible on a monochrome terminal and in NO_COLOR logs.
func noColor() Theme {
	st := lipgloss.NewStyle
	badge := st().Reverse(true).Padding(0, 1)
	t := Theme{
		Name:          NoColor,
		IsDark:        true,
		Header:        st().Bold(true),
		HeaderDim:     st(),
		Title:         st().Bold(true),
		Breadcrumb:    st().Underline(true),
		Muted:         st().Faint(true),
		BadgeDemo:     badge,
		BadgeBundle:   badge,
		BadgeReadOnly: badge,
		BadgeWrite:    badge.Bold(true),
		TableHeader:   st().Bold(true).Underline(true),
		Row:           st(),
		RowSelected:   st().Reverse(true),
		OK:            st(),
		Warning:       st().Bold(true),
		Error:         st().Bold(true).Underline(true),
		Prompt:        st().Bold(true),
		HelpKey:       st().Bold(true),
		HelpDesc:      st(),
		HelpSep:       st().Faint(true),
	}
	t.status = map[string]lipgloss.Style{
		"SUSPENDED":     st().Bold(true),
		"DEPROVISIONED": st().Faint(true),
		"LOCKED_OUT":    st().Bold(true),
	}
	return t
}

// LineStyle is the style of a kind of line in a rendered plan (the kinds
// of plan.Styler: "title", "muted", "ok", "warning", "error"), so a theme
// can colour plan.Render without plan importing themes. Another kind is
// left plain.
func (t Theme) LineStyle(kind string) lipgloss.Style {
	switch kind {
	case "title":
		return t.Title
	case "muted":
		return t.Muted
	case "ok":
		return t.OK
	case "warning":
		return t.Warning
	case "error":
		return t.Error
	}
	return lipgloss.Style{}
}
