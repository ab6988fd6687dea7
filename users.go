package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/impactledger/impactledger/models"
)

// usersCommand creates, lists, disables and unlocks staff accounts, and resets their passwords and two-factor
// sign-in, from the command line: how the first administrator comes to exist, and how access is recovered
// when no administrator can sign in.
func usersCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const help = "impactledger users create --email E --name N --role R   (password: one line on standard input)\n" +
		"impactledger users list\n" +
		"impactledger users disable EMAIL\n" +
		"impactledger users unlock EMAIL\n" +
		"impactledger users reset-password EMAIL   (print a one-time code to set a new password with)\n" +
		"impactledger users reset-mfa EMAIL   (turn two-factor sign-in off, for a lost authenticator)\n\n" +
		"Roles: admin, supervisor, advocate, prosecutor, clerk.\n"
	fs := newFlagSet("users", help, stderr)
	email := fs.String("email", "", "the account's email address (create)")
	name := fs.String("name", "", "the person's name as shown to colleagues (create)")
	role := fs.String("role", "", "admin, supervisor, advocate, prosecutor or clerk (create)")
	if len(args) == 0 {
		fs.Usage()
		return 2
	}
	action, rest := args[0], args[1:]
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch {
	case action == "-h" || action == "--help" || action == "help":
		fs.Usage()
		return 0
	case action == "create" && fs.NArg() == 0, action == "list" && fs.NArg() == 0, (action == "disable" || action == "unlock" || action == "reset-password" || action == "reset-mfa") && fs.NArg() == 1:
	default:
		fs.Usage()
		return 2
	}

	var pw string
	if action == "create" {
		var err error
		if pw, err = readPassword(stdin, stderr); err != nil {
			fmt.Fprintf(stderr, "users create: reading the password: %v\n", err)
			return 1
		}
	}
	_, _, store, code := setup(ctx, stderr)
	if code != 0 {
		return code
	}
	defer store.Close()
	ctx = models.WithRequest(ctx, models.RequestInfo{ID: "cli", Actor: models.Actor{Type: models.ActorSystem, ID: "cli"}})

	switch action {
	case "create":
		u, err := store.CreateUser(ctx, models.NewUser{Email: *email, DisplayName: *name, Role: models.Role(*role), Password: pw})
		if err != nil {
			return reportUserError(stderr, "users create", err)
		}
		fmt.Fprintf(stdout, "created %s (%s), id %s\n", u.Email, u.Role, u.ID)
	case "list":
		users, err := store.ListUsers(ctx)
		if err != nil {
			return reportUserError(stderr, "users list", err)
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "EMAIL\tNAME\tROLE\tACTIVE\tID")
		for _, u := range users {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%s\n", u.Email, u.DisplayName, u.Role, u.Active, u.ID)
		}
		tw.Flush()
	case "disable":
		u, err := store.UserByEmail(ctx, fs.Arg(0))
		if err == nil {
			_, err = store.UpdateUser(ctx, u.ID, u.Version, models.UserUpdate{Active: models.Some(false)})
		}
		if err != nil {
			return reportUserError(stderr, "users disable", err)
		}
		fmt.Fprintf(stdout, "disabled %s; its sessions have ended\n", u.Email)
	case "unlock":
		u, err := store.UserByEmail(ctx, fs.Arg(0))
		if err == nil {
			_, err = store.UnlockUser(ctx, u.ID)
		}
		if err != nil {
			return reportUserError(stderr, "users unlock", err)
		}
		fmt.Fprintf(stdout, "unlocked %s\n", u.Email)
	case "reset-password":
		u, err := store.UserByEmail(ctx, fs.Arg(0))
		var (
			code    string
			expires time.Time
		)
		if err == nil {
			code, expires, err = store.ResetPassword(ctx, u.ID)
		}
		if err != nil {
			return reportUserError(stderr, "users reset-password", err)
		}
		// The code alone goes to standard output, so that a script can pass it on; the explanation to stderr.
		fmt.Fprintln(stdout, code)
		fmt.Fprintf(stderr, "The password of %s no longer works; its sessions have ended and its API tokens are revoked.\n"+
			"Give the code above to its owner, who sets a new password with it on the sign-in page (\"Set a new password\n"+
			"with a reset code\") until %s. It works once. Two-factor sign-in, if on, is still needed.\n",
			u.Email, expires.UTC().Format("2006-01-02 15:04 MST"))
	case "reset-mfa":
		u, err := store.UserByEmail(ctx, fs.Arg(0))
		if err == nil {
			_, err = store.ResetMFA(ctx, u.ID)
		}
		if err != nil {
			return reportUserError(stderr, "users reset-mfa", err)
		}
		fmt.Fprintf(stdout, "two-factor sign-in is off for %s; its sessions have ended\n", u.Email)
	}
	return 0
}

// readPassword reads one line: typed at a prompt without echo on a terminal, or piped in.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password (12 or more characters): ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		return string(b), err
	}
	if stdin == nil {
		return "", nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// reportUserError explains a failed users command: field by field for invalid input.
func reportUserError(stderr io.Writer, what string, err error) int {
	var (
		invalid  *models.ValidationError
		conflict *models.ConflictError
	)
	switch {
	case errors.As(err, &invalid):
		for field, msg := range invalid.Fields {
			fmt.Fprintf(stderr, "%s: %s %s\n", what, field, msg)
		}
		return 2
	case errors.As(err, &conflict):
		fmt.Fprintf(stderr, "%s: %s\n", what, conflict.Detail)
		return 1
	case errors.Is(err, models.ErrNotFound):
		fmt.Fprintf(stderr, "%s: no such account\n", what)
		return 1
	default:
		fmt.Fprintf(stderr, "%s: failed (%s)\n", what, models.ErrorClass(err))
		return 1
	}
}
