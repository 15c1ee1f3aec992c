"""The sample repositories: their first commit and the history of fixes after it. Every bug
is one a user could hit; every issue text is written as a user would report it."""

GITIGNORE = "__pycache__/\n*.pyc\n.pytest_cache/\n"

# ---------------------------------------------------------------------------------------------
# Python: a small inventory library, tested with pytest.

MONEY_V1 = '''"""Prices as Decimals."""
from decimal import Decimal, InvalidOperation


def parse_price(text):
    """Parses a price such as "$12.50" or "12" into a Decimal."""
    cleaned = text.strip().lstrip("$")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"not a price: {text!r}") from None


def format_price(value):
    """Formats a Decimal as "$12.50"."""
    return f"${value:.2f}"
'''

MONEY_V2 = '''"""Prices as Decimals."""
import re
from decimal import Decimal, InvalidOperation

_GROUPED = re.compile(r"^\\d{1,3}(,\\d{3})+(\\.\\d+)?$")


def parse_price(text):
    """Parses a price such as "$12.50", "12" or "$1,234.50" into a Decimal."""
    cleaned = text.strip().lstrip("$")
    if "," in cleaned:
        if not _GROUPED.match(cleaned):
            raise ValueError(f"not a price: {text!r}")
        cleaned = cleaned.replace(",", "")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"not a price: {text!r}") from None


def format_price(value):
    """Formats a Decimal as "$12.50"."""
    return f"${value:.2f}"
'''

TEST_MONEY_V1 = '''from decimal import Decimal

import pytest

from inventory.money import format_price, parse_price


def test_parse_plain():
    assert parse_price("12") == Decimal("12")


def test_parse_dollar_sign():
    assert parse_price(" $12.50 ") == Decimal("12.50")


def test_parse_rejects_words():
    with pytest.raises(ValueError):
        parse_price("twelve")


def test_format_price():
    assert format_price(Decimal("3.5")) == "$3.50"
'''

TEST_MONEY_V2 = TEST_MONEY_V1 + '''

@pytest.mark.parametrize("text,value", [("1,234.50", "1234.50"), ("$12,000", "12000")])
def test_parse_thousands(text, value):
    assert parse_price(text) == Decimal(value)


def test_parse_rejects_misplaced_commas():
    with pytest.raises(ValueError):
        parse_price("12,34")
'''

STOCK_V1 = '''"""When to restock, and how much."""


def needs_restock(quantity, threshold):
    """True when stock has fallen to the threshold or below."""
    return quantity < threshold


def restock_amount(quantity, target):
    """How many units bring the stock back up to the target."""
    return max(0, target - quantity)
'''

STOCK_V2 = STOCK_V1.replace("return quantity < threshold", "return quantity <= threshold")

TEST_STOCK_V1 = '''from inventory.stock import needs_restock, restock_amount


def test_below_threshold():
    assert needs_restock(2, 5)


def test_above_threshold():
    assert not needs_restock(9, 5)


def test_restock_amount():
    assert restock_amount(3, 10) == 7
    assert restock_amount(12, 10) == 0
'''

TEST_STOCK_V2 = TEST_STOCK_V1 + '''

def test_at_threshold():
    assert needs_restock(5, 5)
'''

REPORT_V1 = '''"""Plain-text stock reports."""


def table(rows):
    """Renders (name, quantity) rows as an aligned table with a header."""
    width = max(len(name) for name, _ in rows)
    width = max(width, len("item"))
    lines = [f"{'item'.ljust(width)}  qty"]
    for name, qty in rows:
        lines.append(f"{name.ljust(width)}  {qty:>3}")
    return "\\n".join(lines)
'''

REPORT_V2 = '''"""Plain-text stock reports."""


def table(rows):
    """Renders (name, quantity) rows as an aligned table with a header."""
    width = max([len("item")] + [len(name) for name, _ in rows])
    lines = [f"{'item'.ljust(width)}  qty"]
    for name, qty in rows:
        lines.append(f"{name.ljust(width)}  {qty:>3}")
    return "\\n".join(lines)
'''

TEST_REPORT_V1 = '''from inventory.report import table


def test_table_aligns_names():
    out = table([("apple", 3), ("kiwi", 12)])
    assert out.splitlines() == ["item   qty", "apple    3", "kiwi    12"]
'''

TEST_REPORT_V2 = TEST_REPORT_V1 + '''

def test_table_without_rows():
    assert table([]) == "item  qty"
'''

UNITS_V1 = '''"""Units of weight, from the table shipped in inventory/data."""
from pathlib import Path

DATA = Path(__file__).parent / "data"


def load_units():
    """Unit name -> grams, from units.csv (written on Windows: CRLF line ends)."""
    with open(DATA / "units.csv", newline="") as f:
        text = f.read()
    units = {}
    for line in text.split("\\n")[1:]:
        if not line:
            continue
        grams, name = line.split(",")
        units[name] = float(grams)
    return units


def convert(amount, unit, to):
    units = load_units()
    return amount * units[unit] / units[to]


def weight_table():
    """The packed weight classes: one byte each."""
    return list((DATA / "weights.bin").read_bytes())
'''

UNITS_V2 = UNITS_V1.replace('for line in text.split("\\n")[1:]:', 'for line in text.splitlines()[1:]:')
assert UNITS_V2 != UNITS_V1

UNITS_CSV_V1 = b"grams,unit\r\n1,g\r\n1000,kg\r\n"
UNITS_CSV_V2 = b"grams,unit\r\n1,g\r\n1000,kg\r\n453.59237,lb\r\n"
WEIGHTS_V1 = bytes([0, 1, 2, 3, 250, 255, 13, 10, 0, 7])
WEIGHTS_V2 = bytes([0, 1, 2, 3, 4, 255, 13, 10, 0, 7, 9])

TEST_UNITS_V1 = '''from inventory.units import load_units


def test_grams_listed():
    assert "g" in load_units()
'''

TEST_UNITS_V2 = TEST_UNITS_V1 + '''

def test_convert_kg_to_g():
    from inventory.units import convert
    assert convert(2, "kg", "g") == 2000


def test_pounds_supported():
    from inventory.units import convert
    assert round(convert(1, "lb", "g"), 2) == 453.59


def test_weight_classes_ascend():
    from inventory.units import weight_table
    table = weight_table()
    assert table[:5] == [0, 1, 2, 3, 4]
    assert len(table) == 11
'''

PYTHON = {
    "name": "tribench-samples/inventory",
    "kind": "python",
    "version": "1.0",
    "initial_date": "2024-03-04T10:00:00Z",
    "initial": {
        ".gitignore": GITIGNORE,
        "README.md": "# inventory\n\nA small stock-keeping library.\n",
        "inventory/__init__.py": '"""Stock keeping."""\n',
        "inventory/money.py": MONEY_V1,
        "inventory/stock.py": STOCK_V1,
        "inventory/report.py": REPORT_V1,
        "inventory/units.py": UNITS_V1,
        "inventory/data/units.csv": UNITS_CSV_V1,
        "inventory/data/weights.bin": WEIGHTS_V1,
        "tests/__init__.py": "",
        "tests/test_money.py": TEST_MONEY_V1,
        "tests/test_stock.py": TEST_STOCK_V1,
        "tests/test_report.py": TEST_REPORT_V1,
        "tests/test_units.py": TEST_UNITS_V1,
    },
    "steps": [
        {
            "id": "tribench-samples__inventory-1",
            "date": "2024-06-11T09:30:00Z",
            "message": "Accept thousands separators in prices",
            "issue": "parse_price rejects prices with thousands separators\n\n"
                     "Prices exported from our shop look like `$1,234.50`. `parse_price(\"$1,234.50\")` raises\n"
                     "`ValueError: not a price: '$1,234.50'`, and so does `parse_price(\"12,000\")`.\n\n"
                     "Correctly grouped thousands should parse (`1,234.50` is 1234.50), while a comma in the\n"
                     "wrong place, such as `12,34`, should still be rejected.\n",
            "files": {"inventory/money.py": MONEY_V2, "tests/test_money.py": TEST_MONEY_V2},
        },
        {
            "chore": True,
            "date": "2024-07-01T12:00:00Z",
            "message": "Release 1.0",
            "tag": "v1.0",
            "files": {"README.md": "# inventory\n\nA small stock-keeping library. Version 1.0.\n"},
        },
        {
            "id": "tribench-samples__inventory-2",
            "date": "2025-02-17T15:10:00Z",
            "message": "Restock when stock reaches the threshold",
            "issue": "needs_restock is False exactly at the threshold\n\n"
                     "The docstring says stock needs restocking when it has fallen *to* the threshold or\n"
                     "below, but `needs_restock(5, 5)` returns False. We ran out of an item because of it.\n",
            "files": {"inventory/stock.py": STOCK_V2, "tests/test_stock.py": TEST_STOCK_V2},
        },
        {
            "id": "tribench-samples__inventory-3",
            "date": "2025-09-03T08:45:00Z",
            "message": "Render an empty report",
            "tag": "v1.1",
            "issue": "table() crashes when there is nothing in stock\n\n"
                     "`inventory.report.table([])` raises `ValueError: max() arg is an empty sequence`.\n"
                     "An empty report should still print its header line, `item  qty`.\n",
            "files": {"inventory/report.py": REPORT_V2, "tests/test_report.py": TEST_REPORT_V2},
        },
        {
            "id": "tribench-samples__inventory-4",
            "date": "2026-05-20T11:00:00Z",
            "message": "Read the units table on every platform; add pounds; fix weight classes",
            "issue": "Unit conversion fails: KeyError 'g'\n\n"
                     "`convert(2, \"kg\", \"g\")` raises `KeyError: 'g'`, although `g` is in\n"
                     "`inventory/data/units.csv`. The file has Windows line endings.\n\n"
                     "While at it: pounds (`lb`, 453.59237 g) are missing from the table, and the packed\n"
                     "weight classes in `inventory/data/weights.bin` are wrong: they must ascend\n"
                     "0, 1, 2, 3, 4 at the start (the fifth byte is 250), and an eleventh class, 9, is\n"
                     "missing at the end.\n",
            "files": {
                "inventory/units.py": UNITS_V2,
                "inventory/data/units.csv": UNITS_CSV_V2,
                "inventory/data/weights.bin": WEIGHTS_V2,
                "tests/test_units.py": TEST_UNITS_V2,
            },
        },
    ],
}

# ---------------------------------------------------------------------------------------------
# Go: a small text toolkit, tested with go test.

GO_MOD = "module example.com/textkit\n\ngo 1.19\n"

TRUNCATE_V1 = '''// Package textkit holds small text helpers.
package textkit

// Truncate shortens s to at most n characters, adding "..." when it cut something.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n <= 3 {
		return s[:n]
	}
	return s[:n-3] + "..."
}
'''

TRUNCATE_V2 = '''// Package textkit holds small text helpers.
package textkit

// Truncate shortens s to at most n characters (runes, not bytes), adding "..." when it cut
// something.
func Truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 3 {
		return string(r[:n])
	}
	return string(r[:n-3]) + "..."
}
'''

TRUNCATE_TEST_V1 = '''package textkit

import "testing"

func TestTruncate(t *testing.T) {
	cases := []struct{ name, in string; n int; want string }{
		{"short", "abc", 5, "abc"},
		{"ascii", "abcdefgh", 6, "abc..."},
		{"tiny", "abcdef", 2, "ab"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Truncate(c.in, c.n); got != c.want {
				t.Errorf("Truncate(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
			}
		})
	}
}
'''

TRUNCATE_TEST_V2 = TRUNCATE_TEST_V1 + '''
func TestTruncateRunes(t *testing.T) {
	cases := []struct{ name, in string; n int; want string }{
		{"accents", "héllo wörld", 8, "héllo..."},
		{"fits", "naïve", 5, "naïve"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Truncate(c.in, c.n); got != c.want {
				t.Errorf("Truncate(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
			}
		})
	}
}
'''

WRAP_V1 = '''package textkit

import "strings"

// Wrap breaks text into lines of at most width characters, between words.
func Wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		switch {
		case line == "":
			line = w
		case len(line)+1+len(w) < width:
			line += " " + w
		default:
			lines = append(lines, line)
			line = w
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
'''

WRAP_V2 = WRAP_V1.replace("len(line)+1+len(w) < width", "len(line)+1+len(w) <= width")

WRAP_TEST_V1 = '''package textkit

import (
	"reflect"
	"testing"
)

func TestWrapEmpty(t *testing.T) {
	if got := Wrap("   ", 10); len(got) != 0 {
		t.Errorf("Wrap of blanks = %q, want no lines", got)
	}
}

func TestWrapLongWord(t *testing.T) {
	got := Wrap("extraordinarily long", 5)
	want := []string{"extraordinarily", "long"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
'''

WRAP_TEST_V2 = WRAP_TEST_V1 + '''
func TestWrapExactWidth(t *testing.T) {
	got := Wrap("one two three", 7)
	want := []string{"one two", "three"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
'''

SLUG_V1 = '''package textkit

import (
	"strings"
	"unicode"
)

// Slugify makes a lower-case, dash-separated identifier of a title.
func Slugify(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		} else {
			b.WriteRune('-')
		}
	}
	return b.String()
}
'''

SLUG_V2 = '''package textkit

import (
	"strings"
	"unicode"
)

// Slugify makes a lower-case, dash-separated identifier of a title: runs of other characters
// become one dash, and none is left at either end.
func Slugify(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteRune('-')
			}
			dash = false
			b.WriteRune(r)
		} else {
			dash = true
		}
	}
	return b.String()
}
'''

SLUG_TEST_V1 = '''package textkit

import "testing"

func TestSlugifySimple(t *testing.T) {
	if got := Slugify("Hello"); got != "hello" {
		t.Errorf("got %q", got)
	}
}
'''

SLUG_TEST_V2 = SLUG_TEST_V1 + '''
func TestSlugifyPunctuation(t *testing.T) {
	cases := map[string]string{
		"Hello, World!":     "hello-world",
		"  spaced   out  ":  "spaced-out",
		"C'est déjà l'été": "c-est-déjà-l-été",
	}
	for in, want := range cases {
		if got := Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
	}
}
'''

GO = {
    "name": "tribench-samples/textkit",
    "kind": "go",
    "version": "0.3",
    "initial_date": "2024-01-15T09:00:00Z",
    "initial": {
        "go.mod": GO_MOD,
        "README.md": "# textkit\n\nSmall text helpers for Go.\n",
        "truncate.go": TRUNCATE_V1,
        "truncate_test.go": TRUNCATE_TEST_V1,
        "wrap.go": WRAP_V1,
        "wrap_test.go": WRAP_TEST_V1,
        "slug.go": SLUG_V1,
        "slug_test.go": SLUG_TEST_V1,
    },
    "steps": [
        {
            "id": "tribench-samples__textkit-1",
            "date": "2024-08-22T14:00:00Z",
            "message": "Truncate by runes",
            "issue": "Truncate produces invalid UTF-8\n\n"
                     "`Truncate(\"héllo wörld\", 8)` returns a string ending in a broken byte sequence\n"
                     "instead of `héllo...`. Truncate should count characters, not bytes.\n",
            "files": {"truncate.go": TRUNCATE_V2, "truncate_test.go": TRUNCATE_TEST_V2},
        },
        {
            "id": "tribench-samples__textkit-2",
            "date": "2025-04-02T10:20:00Z",
            "message": "Allow lines of exactly the wrap width",
            "tag": "v0.3.1",
            "issue": "Wrap breaks lines one character early\n\n"
                     "`Wrap(\"one two three\", 7)` gives `[\"one\" \"two\" \"three\"]`, but `one two` is exactly\n"
                     "seven characters and fits: the result should be `[\"one two\" \"three\"]`.\n",
            "files": {"wrap.go": WRAP_V2, "wrap_test.go": WRAP_TEST_V2},
        },
        {
            "id": "tribench-samples__textkit-3",
            "date": "2026-01-12T16:30:00Z",
            "message": "Collapse and trim dashes in slugs",
            "issue": "Slugify leaves runs of dashes\n\n"
                     "`Slugify(\"Hello, World!\")` returns `hello--world-`. Runs of punctuation and spaces\n"
                     "should become a single dash, with no dash at either end: `hello-world`.\n",
            "files": {"slug.go": SLUG_V2, "slug_test.go": SLUG_TEST_V2},
        },
    ],
}

REPOS = [PYTHON, GO]
