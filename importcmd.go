package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/impactledger/impactledger/migrations"
	"github.com/impactledger/impactledger/models"
	"github.com/impactledger/impactledger/victimcsv"
)

const importHelp = `impactledger import victims --case CASE_ID FILE.csv

Imports a list of victims (such as a breached organisation's notification list) into a case, all or
nothing, with the same checks and the same report as an upload in the web service: the whole file is
validated first, and only a file without a single error is imported. Run it on the service's machine, with
its configuration; it needs no running service.

The file is CSV in UTF-8 with a header row. Required columns: kind, name. Optional: email, phone,
address_line1, address_line2, city, state, postal_code, date_of_birth (YYYY-MM-DD), ssn,
preferred_language, is_minor (yes/no), loss_category, loss_description, loss_amount (dollars, 1,234.56).

Exit status: 0 when every row was imported; 1 when nothing was, with the error report (CSV: line, column,
message; never a value from the file) on standard output; 2 for a usage error. Interrupting it (Ctrl-C)
imports nothing.

`

// importCommand runs `impactledger import victims`.
func importCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("import victims", importHelp, stderr)
	caseID := fs.String("case", "", "the ID of the case the victims belong to")
	if len(args) == 0 || args[0] != "victims" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fs.Usage()
			return 0
		}
		fs.Usage()
		return 2
	}
	// Flags may come before or after the file name.
	var files []string
	rest := args[1:]
	for {
		if code, done := parseAll(fs, rest); done {
			return code
		}
		if fs.NArg() == 0 {
			break
		}
		files, rest = append(files, fs.Arg(0)), fs.Args()[1:]
	}
	switch {
	case len(files) != 1:
		fmt.Fprintln(stderr, "import victims: name one CSV file")
		fs.Usage()
		return 2
	case !models.ValidID(*caseID):
		fmt.Fprintln(stderr, "import victims: --case must be a case's ID, as the web service shows it")
		return 2
	}
	path := files[0]
	if info, err := os.Stat(path); err != nil || !info.Mode().IsRegular() {
		fmt.Fprintf(stderr, "import victims: %s is not a file that can be read\n", path)
		return 1
	}
	_, log, store, code := setup(ctx, stderr)
	if code != 0 {
		return code
	}
	defer store.Close()
	sqlDB, err := store.SQLDB()
	if err != nil {
		log.Error("cannot reach the database pool", "error_type", fmt.Sprintf("%T", err))
		return 1
	}
	if err := migrations.Current(ctx, sqlDB, store.Dialect()); err != nil {
		fmt.Fprintln(stderr, "import victims: the database schema is behind; run `impactledger migrate up` first")
		return 1
	}
	if err := store.CheckKeys(ctx); err != nil {
		fmt.Fprintf(stderr, "import victims: %v\n", err)
		return 1
	}
	ctx = models.WithRequest(ctx, models.RequestInfo{ID: "cli-" + uuid.NewString(), Actor: models.Actor{Type: models.ActorSystem, ID: "cli"}})
	// An earlier run killed part way, where no service ran to notice, would stand in the way of this one.
	recovered, err := store.RecoverCommandLineImports(ctx)
	if err != nil {
		log.Error("import victims: cannot roll back an earlier, stopped import", "error_class", models.ErrorClass(err))
		return 1
	}
	for _, id := range recovered {
		fmt.Fprintf(stderr, "import victims: rolled back import %s, which stopped before it finished\n", id)
	}
	imp, err := store.StartCommandLineImport(ctx, *caseID, path)
	switch {
	case errors.Is(err, models.ErrNotFound):
		fmt.Fprintf(stderr, "import victims: there is no case %s\n", *caseID)
		return 1
	case errors.Is(err, models.ErrEmptyImport):
		fmt.Fprintf(stderr, "import victims: %s is empty\n", path)
		return 1
	case errors.Is(err, models.ErrImportTooLarge):
		fmt.Fprintf(stderr, "import victims: %s is larger than %d MiB; split it into several files\n", path, models.MaxImportBytes>>20)
		return 1
	case err != nil:
		log.Error("import victims: cannot start", "error_class", models.ErrorClass(err))
		return 1
	}
	var progress func(models.VictimImport)
	if isTerminal(stderr) {
		progress = progressBar(stderr)
	}
	run := models.ImportRun{OpenLocal: func() (io.ReadCloser, error) { return os.Open(path) }, Progress: progress}
	err = store.RunVictimImport(ctx, imp.ID, run)
	if progress != nil {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		// Interrupted, or the database failed: roll back whatever was written, on a context of its own.
		rollback, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
		defer cancel()
		run.Abandon, run.Failure, run.Progress = true, models.ImportStopped, nil
		if rbErr := store.RunVictimImport(rollback, imp.ID, run); rbErr != nil {
			log.Error("import victims: stopped, and could not roll back; a running service will", "import_id", imp.ID, "error_class", models.ErrorClass(rbErr))
			return 1
		}
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "import victims: stopped; nothing was imported (import %s)\n", imp.ID)
		} else {
			log.Error("import victims: failed; nothing was imported", "import_id", imp.ID, "error_class", models.ErrorClass(err))
		}
		return 1
	}
	done, err := store.VictimImportByID(ctx, imp.ID)
	if err != nil {
		log.Error("import victims: cannot read the outcome", "import_id", imp.ID, "error_class", models.ErrorClass(err))
		return 1
	}
	if done.Status == models.ImportSucceeded {
		fmt.Fprintf(stdout, "imported %d victims and %d losses into case %s (import %s)\n", done.VictimsCreated, done.LossesCreated, done.CaseID, done.ID)
		return 0
	}
	if err := victimcsv.WriteReport(stdout, func(each func(victimcsv.Problem) error) error {
		return store.VictimImportErrors(ctx, imp.ID, each)
	}); err != nil {
		log.Error("import victims: cannot write the error report", "error_class", models.ErrorClass(err))
	}
	kept := ""
	if done.ErrorCount > models.MaxKeptImportErrors {
		kept = fmt.Sprintf(" (the report lists the first %d)", models.MaxKeptImportErrors)
	}
	fmt.Fprintf(stderr, "import victims: %d %s in %s%s; nothing was imported (import %s)\n",
		done.ErrorCount, plural(done.ErrorCount, "error", "errors"), path, kept, done.ID)
	return 1
}

// parseAll parses fs like parseFlags, but leaves positional arguments to the caller.
func parseAll(fs *flag.FlagSet, args []string) (code int, done bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, true
		}
		return 2, true
	}
	return 0, false
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// progressBar draws an import's progress on one terminal line, at most ten times a second.
func progressBar(w io.Writer) func(models.VictimImport) {
	var last time.Time
	return func(imp models.VictimImport) {
		if time.Since(last) < 100*time.Millisecond && !imp.Finished() {
			return
		}
		last = time.Now()
		const width = 30
		total := max(imp.RowsTotal, imp.RowsDone, 1)
		filled := width * imp.RowsDone / total
		stage := string(imp.Status)
		fmt.Fprintf(w, "\r%-10s [%s%s] %d/%d rows", stage, strings.Repeat("#", filled), strings.Repeat(".", width-filled), imp.RowsDone, total)
	}
}
