// Package victimcsv reads lists of victims in CSV, such as the notification list a breached organisation
// hands to prosecutors: the header and its columns, line numbers, blank rows, quoting and encoding, and what
// is wrong with the file's shape. Whether each value is valid is the victims store's to decide, as it is for
// the API. The package knows neither HTTP nor the database.
//
// Problems name a line and a column and say what is wrong, never what the cell held: an error report about
// a victim list must not itself become a copy of it. That holds for the header too, since a file without one
// has a victim where its header should be. Every record is bounded in size and the header in width, so that
// no file, however hostile, makes the reader hold more than a little of it.
package victimcsv

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Column is a column of a victim list, by its name in the header.
type Column string

// The columns a victim list may have. Names in the header are matched ignoring letter case, and spaces or
// hyphens count as underscores ("Loss Amount" is loss_amount).
const (
	Kind              Column = "kind"
	Name              Column = "name"
	Email             Column = "email"
	Phone             Column = "phone"
	AddressLine1      Column = "address_line1"
	AddressLine2      Column = "address_line2"
	City              Column = "city"
	State             Column = "state"
	PostalCode        Column = "postal_code"
	DateOfBirth       Column = "date_of_birth"
	SSN               Column = "ssn"
	PreferredLanguage Column = "preferred_language"
	IsMinor           Column = "is_minor"
	LossCategory      Column = "loss_category"
	LossDescription   Column = "loss_description"
	LossAmount        Column = "loss_amount"
)

// Columns lists every column, in the order a template shows them.
var Columns = []Column{Kind, Name, Email, Phone, AddressLine1, AddressLine2, City, State, PostalCode,
	DateOfBirth, SSN, PreferredLanguage, IsMinor, LossCategory, LossDescription, LossAmount}

// Required lists the columns every list must have.
var Required = []Column{Kind, Name}

// MaxRows is the most victims one file may list. Larger lists are split into several files; this bounds
// what one import holds in memory to find duplicates.
const MaxRows = 250_000

// HeaderLine is the line of the header, where problems with the file as a whole are reported.
const HeaderLine = 1

// MaxColumns is the widest header read: a victim list has sixteen columns, and a few unknown ones beside
// them are reported, but not thousands.
const MaxColumns = 64

// MaxRecordBytes is the longest record read, quotes and all. A full row of a victim list is a few
// kilobytes; the longest value, a loss description, is at most 5,000 characters.
const MaxRecordBytes = 64 << 10

// Problem is one thing wrong with a file: where it is (Line, 1-based, the header being line 1; Column, a
// column's name, or empty for the whole line) and what it is (Message). It never holds a cell's value.
type Problem struct {
	Line    int
	Column  string
	Message string
}

// Row is one row of victims: its values by column, and the problems with its shape. A column the file does
// not have reads as empty.
type Row struct {
	// Line is the line the row starts on (1-based; the header is line 1). A value spanning several lines in
	// quotes makes the rows after it start further down.
	Line     int
	values   []string
	Problems []Problem
}

// Value is the row's value in column c, as written (not trimmed), or empty.
func (r Row) Value(c Column) string {
	if i, ok := columnIndex[c]; ok && r.values != nil {
		return r.values[i]
	}
	return ""
}

// Reader reads a victim list one row at a time. Rows whose values are all blank are skipped.
type Reader struct {
	csv    *csv.Reader
	limit  *recordLimit
	cols   []int // position in the file → index in Columns, -1 for a column that is not one of them
	header []Problem
	rows   int
	// done is set once the file cannot be read further (too many rows, a broken quote to the end).
	done bool
}

var columnIndex = func() map[Column]int {
	m := make(map[Column]int, len(Columns))
	for i, c := range Columns {
		m[c] = i
	}
	return m
}()

// NewReader reads the header of the list in src. Problems with the header are in HeaderProblems; the rows
// can still be read when the required columns are there, so that one pass reports everything wrong. The
// error is for reading src itself.
func NewReader(src io.Reader) (*Reader, error) {
	in := bufio.NewReaderSize(src, 64<<10)
	r := &Reader{limit: &recordLimit{src: in, line: 1}}
	start, err := in.Peek(3)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(start, []byte{0xEF, 0xBB, 0xBF}):
		in.Discard(3) // a UTF-8 byte-order mark, as Excel writes for "CSV UTF-8"
	case bytes.HasPrefix(start, []byte{0xFF, 0xFE}), bytes.HasPrefix(start, []byte{0xFE, 0xFF}):
		r.header = []Problem{{HeaderLine, "", "the file is in UTF-16; save it as \"CSV UTF-8\" and upload it again"}}
		r.done = true
		return r, nil
	}
	r.csv = csv.NewReader(r.limit)
	r.csv.FieldsPerRecord = -1
	r.csv.ReuseRecord = true
	header, err := r.csv.Read()
	var parseErr *csv.ParseError
	switch {
	case errors.Is(err, errRecordTooLong):
		r.header = []Problem{{HeaderLine, "", fmt.Sprintf("the first line is longer than %d KiB, so it is not a header row: "+
			"a victim list starts with a row naming its columns, such as kind,name", MaxRecordBytes>>10)}}
		r.done = true
		return r, nil
	case errors.Is(err, io.EOF):
		r.header = []Problem{{HeaderLine, "", "the file is empty: it needs a header row naming its columns, then a row for each victim"}}
		r.done = true
		return r, nil
	case errors.As(err, &parseErr):
		r.header = []Problem{{HeaderLine, "", "the header row is not valid CSV: " + syntaxMessage(parseErr.Err)}}
		r.done = true
		return r, nil
	case err != nil:
		return nil, err
	}
	r.readHeader(header)
	return r, nil
}

// readHeader maps the header's columns. A header cell is never repeated in a problem: in a file without a
// header, the first line is a victim's row.
func (r *Reader) readHeader(header []string) {
	seen := map[Column]bool{}
	r.cols = make([]int, len(header))
	known := 0
	for _, raw := range header {
		if _, ok := columnIndex[Column(canonical(raw))]; ok {
			known++
		}
	}
	switch {
	case len(header) == 1 && strings.ContainsAny(header[0], ";\t|"):
		r.header = append(r.header, Problem{HeaderLine, "", "the header is a single column holding semicolons, tabs or bars: " +
			"save the file as \"CSV (comma delimited)\" so that commas separate the columns"})
		r.done = true
		return
	case len(header) > MaxColumns:
		r.header = append(r.header, Problem{HeaderLine, "", fmt.Sprintf("the header has %d columns; a victim list has at most %d",
			len(header), MaxColumns)})
		r.done = true
		return
	case known == 0:
		r.header = append(r.header, Problem{HeaderLine, "", "the first line is not a header row: a victim list starts with a row " +
			"naming its columns, such as kind,name (the template shows them all)"})
		r.done = true
		return
	}
	for pos, raw := range header {
		r.cols[pos] = -1
		name := canonical(raw)
		switch i, ok := columnIndex[Column(name)]; {
		case !utf8.ValidString(raw):
			r.header = append(r.header, Problem{HeaderLine, ColumnLabel(pos), "is not valid UTF-8 text; save the file as \"CSV UTF-8\""})
		case name == "":
			r.header = append(r.header, Problem{HeaderLine, ColumnLabel(pos), "has no name in the header"})
		case !ok:
			r.header = append(r.header, Problem{HeaderLine, ColumnLabel(pos), "is not a column of a victim list; the columns are " + columnList()})
		case seen[Column(name)]:
			r.header = append(r.header, Problem{HeaderLine, name, "appears more than once in the header"})
		default:
			seen[Column(name)] = true
			r.cols[pos] = i
		}
	}
	for _, c := range Required {
		if !seen[c] {
			r.header = append(r.header, Problem{HeaderLine, string(c), "is required, and the header has no such column"})
			r.done = true
		}
	}
}

// HeaderProblems lists what is wrong with the header (line 1).
func (r *Reader) HeaderProblems() []Problem { return r.header }

// Next returns the next row that is not blank, or io.EOF after the last. A row whose shape is wrong comes
// back with its Problems and no values. Past MaxRows, the row that would be one too many reports it and the
// reading ends.
func (r *Reader) Next() (Row, error) {
	for !r.done {
		record, err := r.csv.Read()
		var parseErr *csv.ParseError
		switch {
		case errors.Is(err, errRecordTooLong):
			// Nothing after it can be told apart into rows again.
			r.done = true
			r.rows++
			return Row{Line: r.limit.recordLine, Problems: []Problem{{r.limit.recordLine, "", fmt.Sprintf(
				"is longer than %d KiB, which no row of a victim list is (a quote left open can make the rest of the file one value); nothing after it can be read", MaxRecordBytes>>10)}}}, nil
		case errors.Is(err, io.EOF):
			r.done = true
			return Row{}, io.EOF
		case errors.As(err, &parseErr):
			row := Row{Line: parseErr.StartLine}
			if errors.Is(parseErr.Err, csv.ErrQuote) {
				// An unclosed quote runs to the end of the file: nothing after it can be read as rows.
				r.done = true
			}
			row.Problems = []Problem{{row.Line, "", "is not valid CSV: " + syntaxMessage(parseErr.Err)}}
			r.rows++
			return row, nil
		case err != nil:
			return Row{}, err
		}
		line, _ := r.csv.FieldPos(0)
		if blank(record) {
			continue
		}
		r.rows++
		if r.rows > MaxRows {
			r.done = true
			return Row{Line: line, Problems: []Problem{{line, "", fmt.Sprintf(
				"the file lists more than %d victims; split it into several files", MaxRows)}}}, nil
		}
		return r.row(line, record), nil
	}
	return Row{}, io.EOF
}

func (r *Reader) row(line int, record []string) Row {
	row := Row{Line: line}
	if len(record) != len(r.cols) {
		row.Problems = []Problem{{line, "", fmt.Sprintf("has %d values, but the header has %d columns; "+
			"a value holding a comma must be in quotes", len(record), len(r.cols))}}
		return row
	}
	row.values = make([]string, len(Columns))
	for pos, v := range record {
		i := r.cols[pos]
		if i < 0 {
			continue
		}
		if !utf8.ValidString(v) {
			row.Problems = append(row.Problems, Problem{line, string(Columns[i]), "is not valid UTF-8 text; save the file as \"CSV UTF-8\""})
			continue
		}
		row.values[i] = v
	}
	if len(row.Problems) > 0 {
		row.values = nil
	}
	return row
}

func blank(record []string) bool {
	for _, v := range record {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// canonical is a header name as it is matched: trimmed, lower case, with runs of spaces and hyphens as one
// underscore.
func canonical(name string) string {
	fields := strings.FieldsFunc(strings.ToLower(strings.TrimSpace(name)), func(r rune) bool {
		return unicode.IsSpace(r) || r == '-' || r == '_'
	})
	return strings.Join(fields, "_")
}

// ColumnLabel names the column at a 0-based position of a row as a person finds it in a spreadsheet:
// "column 5 (E)".
func ColumnLabel(pos int) string {
	letters := ""
	for n := pos + 1; n > 0; n = (n - 1) / 26 {
		letters = string(rune('A'+(n-1)%26)) + letters
	}
	return fmt.Sprintf("column %d (%s)", pos+1, letters)
}

func columnList() string {
	names := make([]string, len(Columns))
	for i, c := range Columns {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

func syntaxMessage(err error) string {
	switch {
	case errors.Is(err, csv.ErrBareQuote):
		return `a quote (") is inside a value that is not in quotes; put the whole value in quotes and double the quote ("")`
	case errors.Is(err, csv.ErrQuote):
		return `a value in quotes is never closed, or a quote inside it is not doubled (""); nothing after it can be read`
	default:
		return "it cannot be read as comma-separated values"
	}
}

// errRecordTooLong stops a record longer than MaxRecordBytes.
var errRecordTooLong = errors.New("victimcsv: a record is too long")

// scanState is where a recordScanner stands within a record.
type scanState uint8

const (
	atFieldStart scanState = iota
	inUnquoted
	inQuoted
	// afterQuote is a quote inside a quoted value: another quote makes it a literal one, a comma or line
	// break ends the value.
	afterQuote
)

// recordScanner follows CSV a byte at a time and tells where records end, as encoding/csv reads them: a
// quote opens a quoted value only at the start of a value, and a line break inside one does not end the
// record. A stray quote elsewhere, which encoding/csv reports and gets past, leaves it in step.
type recordScanner struct{ state scanState }

// step takes the next byte and reports whether it ended a record.
func (s *recordScanner) step(b byte) bool {
	switch s.state {
	case inQuoted:
		if b == '"' {
			s.state = afterQuote
		}
		return false
	case afterQuote:
		switch b {
		case '"':
			s.state = inQuoted
			return false
		case '\r':
			return false
		}
	case atFieldStart:
		if b == '"' {
			s.state = inQuoted
			return false
		}
	}
	switch b {
	case ',':
		s.state = atFieldStart
	case '\n':
		s.state = atFieldStart
		return true
	default:
		s.state = inUnquoted
	}
	return false
}

// recordLimit passes a CSV file through, failing with errRecordTooLong once one record (a line, or several
// joined by a quoted value) runs past MaxRecordBytes, so that encoding/csv never holds more. It notes the
// line each record starts on.
type recordLimit struct {
	src        io.Reader
	scan       recordScanner
	line       int // the line being read, 1-based
	recordLine int // the line the record being read started on
	size       int
	failed     bool
}

func (l *recordLimit) Read(p []byte) (int, error) {
	if l.failed {
		return 0, errRecordTooLong
	}
	n, err := l.src.Read(p)
	for i, b := range p[:n] {
		if l.size == 0 {
			l.recordLine = l.line
		}
		l.size++
		if b == '\n' {
			l.line++
		}
		if l.scan.step(b) {
			l.size = 0
		} else if l.size > MaxRecordBytes {
			l.failed = true
			return i, errRecordTooLong
		}
	}
	return n, err
}

// CountRecords follows a CSV file as it is written and counts its records, header included: an estimate of
// its rows made while it uploads, before anything parses it. Empty lines are not counted, but lines of
// nothing but commas are, so the figure can be a little high; the import replaces it with the exact count
// once it has read the file.
type CountRecords struct {
	// Records is the number of records ended so far.
	Records int
	scan    recordScanner
	pending bool // bytes of a record not ended yet, other than line breaks
}

// Write counts the records that end in p.
func (c *CountRecords) Write(p []byte) (int, error) {
	for _, b := range p {
		if c.scan.step(b) {
			if c.pending {
				c.Records++
			}
			c.pending = false
		} else if b != '\r' {
			c.pending = true
		}
	}
	return len(p), nil
}

// Total is the number of records, counting a last one without a final line break.
func (c *CountRecords) Total() int {
	if c.pending {
		return c.Records + 1
	}
	return c.Records
}

// WriteReport writes an error report as CSV: a header row, then a row per problem that walk hands to its
// argument, in that order. A cell a spreadsheet would read as a formula is made inert.
func WriteReport(w io.Writer, walk func(each func(Problem) error) error) error {
	out := csv.NewWriter(w)
	if err := out.Write([]string{"line", "column", "message"}); err != nil {
		return err
	}
	if err := walk(func(p Problem) error {
		return out.Write([]string{strconv.Itoa(p.Line), inertCell(p.Column), inertCell(p.Message)})
	}); err != nil {
		return err
	}
	out.Flush()
	return out.Error()
}

// inertCell keeps a spreadsheet from reading a cell as a formula.
func inertCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
