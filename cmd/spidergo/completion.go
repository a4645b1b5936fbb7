package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/alecthomas/kong"
)

// completionCommand is one command as completion scripts see it.
type completionCommand struct {
	name  string
	help  string
	flags []completionFlag
}

type completionFlag struct {
	long  string // without dashes
	short rune
	help  string
	enum  []string
}

// completionModel lists every command of the binary, and the flags of the
// client commands from their kong grammar, so that scripts never lag
// behind the flags.
func completionModel() ([]completionCommand, error) {
	var cli clientCLI
	parser, err := kong.New(&cli, kong.Name("spidergo"))
	if err != nil {
		return nil, err
	}
	var out []completionCommand
	for _, n := range parser.Model.Children {
		c := completionCommand{name: n.Name, help: n.Help}
		for _, f := range n.Flags {
			if f.Hidden || f.Name == "help" {
				continue
			}
			cf := completionFlag{long: f.Name, short: f.Short, help: f.Help}
			if f.Enum != "" {
				cf.enum = strings.Split(f.Enum, ",")
			}
			c.flags = append(c.flags, cf)
			if f.Tag != nil && f.Tag.Negatable != "" {
				c.flags = append(c.flags, completionFlag{long: "no-" + f.Name, help: "Turn --" + f.Name + " off."})
			}
		}
		out = append(out, c)
	}
	for name, help := range map[string]string{
		"serve": "Run the server.", "migrate": "Apply database migrations.", "key": "Manage API keys.",
		"user": "Manage accounts.", "version": "Print the version.", "completion": "Print a shell completion script.",
	} {
		out = append(out, completionCommand{name: name, help: help})
	}
	slices.SortFunc(out, func(a, b completionCommand) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

const completionUsage = `usage: spidergo completion bash|zsh|fish

  bash:  source <(spidergo completion bash)
  zsh:   source <(spidergo completion zsh)
  fish:  spidergo completion fish | source
`

func cmdCompletion(_ context.Context, args []string, _ func(string) string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprint(stdout, completionUsage)
		return exitOK
	}
	if len(args) != 1 {
		fmt.Fprint(stderr, completionUsage)
		return exitUsage
	}
	cmds, err := completionModel()
	if err != nil {
		fmt.Fprintln(stderr, "spidergo completion:", err)
		return exitFailed
	}
	switch args[0] {
	case "bash":
		writeBash(stdout, cmds, false)
	case "zsh":
		writeBash(stdout, cmds, true)
	case "fish":
		writeFish(stdout, cmds)
	default:
		fmt.Fprintf(stderr, "spidergo completion: unknown shell %q\n%s", args[0], completionUsage)
		return exitUsage
	}
	return exitOK
}

// writeBash writes a bash completion function; zsh loads the same one
// through bashcompinit.
func writeBash(w io.Writer, cmds []completionCommand, zsh bool) {
	if zsh {
		fmt.Fprintln(w, "autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit")
	}
	var names []string
	for _, c := range cmds {
		names = append(names, c.name)
	}
	fmt.Fprintf(w, `_spidergo() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} opts=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W %q -- "$cur"))
    return
  fi
  case "${COMP_WORDS[1]}" in
`, strings.Join(names, " "))
	for _, c := range cmds {
		if c.name == "completion" {
			fmt.Fprintf(w, "    completion) COMPREPLY=($(compgen -W \"bash zsh fish\" -- \"$cur\")); return ;;\n")
			continue
		}
		if len(c.flags) == 0 {
			continue
		}
		var opts []string
		var enums []string
		for _, f := range c.flags {
			opts = append(opts, "--"+f.long)
			if f.short != 0 {
				opts = append(opts, "-"+string(f.short))
			}
			if len(f.enum) > 0 {
				pat := "--" + f.long
				if f.short != 0 {
					pat += "|-" + string(f.short)
				}
				enums = append(enums, fmt.Sprintf("        %s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return ;;\n", pat, strings.Join(f.enum, " ")))
			}
		}
		fmt.Fprintf(w, "    %s)\n      case \"$prev\" in\n%s      esac\n      opts=%q ;;\n", c.name, strings.Join(enums, ""), strings.Join(opts, " "))
	}
	fmt.Fprint(w, `  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o default -F _spidergo spidergo
`)
}

func writeFish(w io.Writer, cmds []completionCommand) {
	for _, c := range cmds {
		fmt.Fprintf(w, "complete -c spidergo -f -n '__fish_use_subcommand' -a %s -d %s\n", c.name, fishQuote(c.help))
	}
	fmt.Fprintf(w, "complete -c spidergo -f -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'\n")
	for _, c := range cmds {
		for _, f := range c.flags {
			line := fmt.Sprintf("complete -c spidergo -n '__fish_seen_subcommand_from %s' -l %s", c.name, f.long)
			if f.short != 0 {
				line += " -s " + string(f.short)
			}
			if len(f.enum) > 0 {
				line += " -x -a " + fishQuote(strings.Join(f.enum, " "))
			}
			fmt.Fprintln(w, line+" -d "+fishQuote(firstSentence(f.help)))
		}
	}
}

func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i+1]
	}
	return s
}
