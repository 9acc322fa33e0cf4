"""``spoke completion bash|zsh|fish|powershell``: shell completion, as ``pip completion``.

The script a shell loads calls ``spoke`` back with ``SPOKE_AUTO_COMPLETE=1`` and the words typed
so far (``COMP_WORDS``, ``COMP_CWORD``); :func:`complete` answers with the candidates, one per
line: commands, then the options of the command being typed (from the one option table), and
installed package names where a command takes them (``uninstall``, ``show``, ``why``…).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spoke.cli.render import Printer
from spoke.errors import UsageError

SCRIPTS = {
    "bash": """
# spoke bash completion start
_spoke_completion()
{
    COMPREPLY=( $( COMP_WORDS="${COMP_WORDS[*]}" \\
                   COMP_CWORD=$COMP_CWORD \\
                   SPOKE_AUTO_COMPLETE=1 $1 2>/dev/null ) )
}
complete -o default -F _spoke_completion spoke
# spoke bash completion end
""",
    "zsh": """
#compdef spoke
# spoke zsh completion start
__spoke() {
  compadd $( COMP_WORDS="$words[*]" \\
             COMP_CWORD=$((CURRENT-1)) \\
             SPOKE_AUTO_COMPLETE=1 $words[1] 2>/dev/null )
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  __spoke "$@"
else
  compdef __spoke spoke
fi
# spoke zsh completion end
""",
    "fish": """
# spoke fish completion start
function __fish_complete_spoke
    set -lx COMP_WORDS (commandline -o) ""
    set -lx COMP_CWORD ( \\
        math (contains -i -- (commandline -t) $COMP_WORDS)-1 \\
    )
    set -lx SPOKE_AUTO_COMPLETE 1
    string split \\  -- (eval $COMP_WORDS[1])
end
complete -fa "(__fish_complete_spoke)" -c spoke
# spoke fish completion end
""",
    "powershell": """
# spoke powershell completion start
if ((Test-Path Function:\\TabExpansion) -and -not `
    (Test-Path Function:\\_spoke_completeBackup)) {
    Rename-Item Function:\\TabExpansion _spoke_completeBackup
}
function TabExpansion($line, $lastWord) {
    $lastBlock = [regex]::Split($line, '[|;]')[-1].TrimStart()
    if ($lastBlock.StartsWith("spoke ")) {
        $Env:COMP_WORDS=$lastBlock
        $Env:COMP_CWORD=$lastBlock.Split().Length - 1
        $Env:SPOKE_AUTO_COMPLETE=1
        (& spoke).Split()
        Remove-Item Env:COMP_WORDS
        Remove-Item Env:COMP_CWORD
        Remove-Item Env:SPOKE_AUTO_COMPLETE
    }
    elseif (Test-Path Function:\\_spoke_completeBackup) {
        # Fall back on existing tab expansion
        _spoke_completeBackup $line $lastWord
    }
}
# spoke powershell completion end
""",
}

#: Commands whose arguments are installed package names.
_TAKE_INSTALLED = frozenset({"uninstall", "show", "why", "tree", "upgrade"})


def run(settings: Any, positional: Sequence[str], printer: Printer, environ: Mapping[str, str]) -> int:
    """Print the completion script of the shell named."""
    if len(positional) != 1 or positional[0] not in SCRIPTS:
        raise UsageError("Name one shell: `spoke completion bash|zsh|fish|powershell`",
                         hint='Then load it, e.g. `eval "$(spoke completion bash)"` in ~/.bashrc.')
    printer.stdout(SCRIPTS[positional[0]].lstrip("\n"))
    return 0


def candidates(words: Sequence[str], cword: int, installed: Sequence[str] = ()) -> list[str]:
    """What may complete word number ``cword`` of ``words`` (``words[0]`` is ``spoke``)."""
    from spoke.cli.main import ALIASES, COMMANDS
    from spoke.config.options import options_for

    current = words[cword] if 0 <= cword < len(words) else ""
    typed = [w for w in words[1:cword] if not w.startswith("-")]
    command = next((ALIASES.get(w, w) for w in typed if ALIASES.get(w, w) in COMMANDS), None)
    if command is None:
        if current.startswith("-"):
            return sorted(f for o in options_for("__none__") for f in o.flags if f.startswith(current))
        return sorted(name for name in (*COMMANDS, *ALIASES) if name.startswith(current))
    if current.startswith("-"):
        flags = {f for o in options_for(command) for f in (*o.flags, *([o.negative_flag] if o.negative_flag else []))}
        return sorted(f for f in flags if f.startswith(current) and f.startswith("--"))
    if command in _TAKE_INSTALLED:
        already = set(words[1:cword])
        return sorted(n for n in installed if n.startswith(current.lower()) and n not in already)
    return []


def complete(environ: Mapping[str, str], printer: Printer) -> int:
    """Answer the shell script's call (``SPOKE_AUTO_COMPLETE`` set): candidates, one per line."""
    words = environ.get("COMP_WORDS", "").split()
    try:
        cword = int(environ.get("COMP_CWORD", "0"))
    except ValueError:
        return 1
    installed: list[str] = []
    typed = [w for w in words[1:cword] if not w.startswith("-")]
    if typed and typed[0] in _TAKE_INSTALLED and not (0 <= cword < len(words) and words[cword].startswith("-")):
        installed = _installed_names(environ)
    printer.stdout("".join(f"{c}\n" for c in candidates(words, cword, installed)))
    return 0


def _installed_names(environ: Mapping[str, str]) -> list[str]:
    """The installed projects of the environment spoke would act on (none when it is unclear)."""
    try:
        import glob
        import os
        from pathlib import Path

        from spoke.env.discovery import find_dot_venv
        from spoke.env.installed import installed_distributions

        prefix = environ.get("VIRTUAL_ENV")
        if not prefix:
            exe = find_dot_venv(Path(os.getcwd()))
            prefix = str(exe.parent.parent) if exe is not None else ""
        if not prefix:
            return []
        paths = [Path(p) for p in glob.glob(os.path.join(prefix, "lib", "python*", "site-packages"))]
        paths += [Path(prefix) / "Lib" / "site-packages"]
        return sorted(installed_distributions([p for p in paths if p.is_dir()]))
    except Exception:  # noqa: BLE001 - completion must never print an error into the shell
        return []
