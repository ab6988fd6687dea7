package victimcsv_test

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/impactledger/impactledger/victimcsv"
)

// readAll reads every row of a file, failing the test on a read error.
func readAll(t *testing.T, file string) (*victimcsv.Reader, []victimcsv.Row) {
	t.Helper()
	r, err := victimcsv.NewReader(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	var rows []victimcsv.Row
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return r, rows
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
}

func TestColumnsInAnyOrderAndCase(t *testing.T) {
	file := "\uFEFFName , KIND,Loss Amount,postal-code\r\n" +
		"Ada Lovelace,individual,\"1,234.56\",81501\r\n" +
		"\"Mesa County, Colorado\",government,,\r\n"
	r, rows := readAll(t, file)
	if p := r.HeaderProblems(); len(p) != 0 {
		t.Fatalf("header problems: %v", p)
	}
	if len(rows) != 2 {
		t.Fatalf("got %d rows", len(rows))
	}
	first, second := rows[0], rows[1]
	if first.Line != 2 || first.Value(victimcsv.Name) != "Ada Lovelace" || first.Value(victimcsv.Kind) != "individual" ||
		first.Value(victimcsv.LossAmount) != "1,234.56" || first.Value(victimcsv.PostalCode) != "81501" {
		t.Errorf("first row = %+v", first)
	}
	if second.Line != 3 || second.Value(victimcsv.Name) != "Mesa County, Colorado" || second.Value(victimcsv.Email) != "" {
		t.Errorf("second row = %+v", second)
	}
}

func TestHeaderProblems(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		want       []victimcsv.Problem
	}{
		{"unknown and duplicate", "kind,name,Member ID,NAME,\n", []victimcsv.Problem{
			{1, "column 3 (C)", "is not a column of a victim list; the columns are kind, name, email, phone, address_line1, address_line2, city, state, postal_code, date_of_birth, ssn, preferred_language, is_minor, loss_category, loss_description, loss_amount"},
			{1, "name", "appears more than once in the header"},
			{1, "column 5 (E)", "has no name in the header"},
		}},
		{"required missing", "name,email\n", []victimcsv.Problem{{1, "kind", "is required, and the header has no such column"}}},
		{"empty", "", []victimcsv.Problem{{1, "", "the file is empty: it needs a header row naming its columns, then a row for each victim"}}},
		{"semicolons", "kind;name\nindividual;Ada\n", []victimcsv.Problem{{1, "", "the header is a single column holding semicolons, tabs or bars: save the file as \"CSV (comma delimited)\" so that commas separate the columns"}}},
		{"utf-16", "\xFF\xFEk\x00i\x00", []victimcsv.Problem{{1, "", "the file is in UTF-16; save it as \"CSV UTF-8\" and upload it again"}}},
		{"header not utf-8", "kind,name,n\xE9e\n", []victimcsv.Problem{{1, "column 3 (C)", "is not valid UTF-8 text; save the file as \"CSV UTF-8\""}}},
		{"no header", "individual,Jane Q Public,078-05-1120,1961-07-14\n", []victimcsv.Problem{{1, "", "the first line is not a header row: a victim list starts with a row naming its columns, such as kind,name (the template shows them all)"}}},
		{"too wide", "kind,name" + strings.Repeat(",x", 63) + "\n", []victimcsv.Problem{{1, "", "the header has 65 columns; a victim list has at most 64"}}},
		{"first line too long", "kind,name," + strings.Repeat("x", victimcsv.MaxRecordBytes) + "\n", []victimcsv.Problem{{1, "", "the first line is longer than 64 KiB, so it is not a header row: a victim list starts with a row naming its columns, such as kind,name"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := readAll(t, tc.file)
			if got := r.HeaderProblems(); !slices.Equal(got, tc.want) {
				t.Errorf("header problems = %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestHeaderCellsAreNeverRepeated reads files whose first line is a victim's row, or holds a victim's data
// beside real columns: no problem may quote any of it.
func TestHeaderCellsAreNeverRepeated(t *testing.T) {
	secrets := []string{"Jane Q Public", "078-05-1120", "1961-07-14", "12 Orchard Lane", "jane@example.com"}
	for _, file := range []string{
		strings.Join(secrets, ",") + "\nindividual,Bob\n",
		"kind,name," + strings.Join(secrets, ",") + "\nindividual,Bob,,,,,\n",
	} {
		r, rows := readAll(t, file)
		all := append([]victimcsv.Problem{}, r.HeaderProblems()...)
		for _, row := range rows {
			all = append(all, row.Problems...)
		}
		if len(all) == 0 {
			t.Fatalf("%q: no problems", file)
		}
		for _, p := range all {
			for _, secret := range secrets {
				if strings.Contains(p.Column+p.Message, secret) {
					t.Errorf("%q: a problem repeats %q: %+v", file, secret, p)
				}
			}
		}
	}
}

func TestColumnLabel(t *testing.T) {
	for pos, want := range map[int]string{0: "column 1 (A)", 4: "column 5 (E)", 25: "column 26 (Z)", 26: "column 27 (AA)", 63: "column 64 (BL)"} {
		if got := victimcsv.ColumnLabel(pos); got != want {
			t.Errorf("ColumnLabel(%d) = %q; want %q", pos, got, want)
		}
	}
}

// TestHostileFilesStayCheap reads files built to make a reader hold them whole: a row of millions of empty
// values, and one unclosed quote before megabytes. Each ends with one problem, having read little.
func TestHostileFilesStayCheap(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		rows, line int
	}{
		{"a row of commas", "kind,name\nindividual,Ada\n" + strings.Repeat(",", 8<<20) + "\nindividual,Bob\n", 2, 3},
		{"an unclosed quote", "kind,name\nindividual,\"Ada\n" + strings.Repeat("x\n", 4<<20), 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, rows := readAll(t, tc.file)
			runtime.ReadMemStats(&after)
			last := rows[len(rows)-1]
			if len(rows) != tc.rows || len(last.Problems) != 1 || last.Line != tc.line || !strings.Contains(last.Problems[0].Message, "is longer than 64 KiB") {
				t.Fatalf("rows %+v", rows)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
				t.Fatalf("reading it allocated %d MiB", grew>>20)
			}
		})
	}
}

func TestAStrayQuoteDoesNotJoinTheRowsAfterIt(t *testing.T) {
	var b strings.Builder
	b.WriteString("kind,name\nindividual,Bo\"b\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "individual,Person %d with a rather long name to fill the file\n", i)
	}
	_, rows := readAll(t, b.String())
	if len(rows) != 5001 || len(rows[0].Problems) != 1 || len(rows[5000].Problems) != 0 {
		t.Fatalf("%d rows; first %+v; last %+v", len(rows), rows[0], rows[len(rows)-1])
	}
}

func TestMissingRequiredColumnStopsTheRows(t *testing.T) {
	_, rows := readAll(t, "name\nAda\n")
	if len(rows) != 0 {
		t.Fatalf("rows were read from a file without kind: %v", rows)
	}
}

func TestRowProblemsNameTheLineNeverTheValue(t *testing.T) {
	secret := "123-45-6789"
	file := "kind,name,ssn\n" +
		"individual,Ada," + secret + "\n" + // 2: fine
		"individual,Bob," + secret + ",extra\n" + // 3: one value too many
		"individual,Bo\"b," + secret + "\n" + // 4: a bare quote
		"\n" + // 5: empty, skipped
		" , ,\n" + // 6: blank, skipped
		"individual,\"Multi\nline\"," + secret + "\n" + // 7-8: one row over two lines
		"individual,Caf\xE9," + secret + "\n" + // 9: Latin-1, not UTF-8
		"business,\"Unclosed," + secret + "\n" // 10: a quote never closed
	_, rows := readAll(t, file)
	type got struct {
		line     int
		problems []victimcsv.Problem
	}
	var all []got
	for _, row := range rows {
		all = append(all, got{row.Line, row.Problems})
		for _, p := range row.Problems {
			if strings.Contains(p.Message, secret) || strings.Contains(p.Message, "Bo") || strings.Contains(p.Column, secret) {
				t.Errorf("a problem quotes the file: %+v", p)
			}
		}
	}
	lines := make([]int, len(all))
	for i, g := range all {
		lines[i] = g.line
	}
	if want := []int{2, 3, 4, 7, 9, 10}; !slices.Equal(lines, want) {
		t.Fatalf("rows start on lines %v; want %v", lines, want)
	}
	for i, wantProblem := range []string{"", "has 4 values, but the header has 3 columns", "a quote (\") is inside a value",
		"", "is not valid UTF-8", "a value in quotes is never closed"} {
		problems := all[i].problems
		if wantProblem == "" {
			if len(problems) != 0 {
				t.Errorf("line %d: unexpected problems %v", all[i].line, problems)
			}
			continue
		}
		if len(problems) != 1 || !strings.Contains(problems[0].Message, wantProblem) || problems[0].Line != all[i].line {
			t.Errorf("line %d: problems %v; want one containing %q", all[i].line, problems, wantProblem)
		}
	}
	if rows[3].Value(victimcsv.Name) != "Multi\nline" {
		t.Errorf("a quoted value over two lines reads as %q", rows[3].Value(victimcsv.Name))
	}
	if rows[4].Problems[0].Column != "name" {
		t.Errorf("the Latin-1 problem names column %q", rows[4].Problems[0].Column)
	}
}

func TestTooManyRows(t *testing.T) {
	var b strings.Builder
	b.WriteString("kind,name\n")
	for i := range victimcsv.MaxRows + 5 {
		fmt.Fprintf(&b, "individual,Person %d\n", i)
	}
	_, rows := readAll(t, b.String())
	if len(rows) != victimcsv.MaxRows+1 {
		t.Fatalf("read %d rows; want the limit and one more reporting it", len(rows))
	}
	last := rows[len(rows)-1]
	if len(last.Problems) != 1 || last.Line != victimcsv.MaxRows+2 || !strings.Contains(last.Problems[0].Message, "split it into several files") {
		t.Fatalf("last row = %+v", last)
	}
}

func TestCountRecords(t *testing.T) {
	for _, tc := range []struct {
		file string
		want int
	}{
		{"", 0},
		{"kind,name", 1},
		{"kind,name\n", 1},
		{"kind,name\r\nindividual,Ada\r\n", 2},
		{"kind,name\n\nindividual,\"A\nB \"\"quoted\"\"\"\nbusiness,C", 3},
		{"kind,name\n\n\n", 1},
		{"kind,name\nindividual,Bo\"b\nindividual,C\n", 3},
		{"kind,name\r\n\"a\"\"\r\nb\",x\r\n", 2},
	} {
		var c victimcsv.CountRecords
		// Byte by byte, as the worst split of writes.
		for i := range len(tc.file) {
			c.Write([]byte{tc.file[i]})
		}
		if got := c.Total(); got != tc.want {
			t.Errorf("CountRecords(%q) = %d; want %d", tc.file, got, tc.want)
		}
	}
}

func FuzzReader(f *testing.F) {
	f.Add("kind,name\nindividual,Ada\n")
	f.Add("\uFEFFname,kind,ssn\n\"a\"\"b\",business,1\n")
	f.Add("kind,name\n\"unclosed\n")
	f.Fuzz(func(t *testing.T, file string) {
		r, err := victimcsv.NewReader(strings.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		prev := 0
		for n := 0; ; n++ {
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if row.Line <= prev || n > len(file) {
				t.Fatalf("row %d starts on line %d after line %d", n, row.Line, prev)
			}
			prev = row.Line
		}
	})
}
