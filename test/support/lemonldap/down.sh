#!/usr/bin/env bash
# Stop the LemonLDAP::NG instance started by test/support/lemonldap/up.sh:
# only the PIDs recorded in its pid file (and their direct children), never
# anything found by name. Same IDP_PORT / IDP_STATE_DIR as for up.sh.
set -uo pipefail

IDP_PORT="${IDP_PORT:-8899}"
if [ "$(id -u)" = 0 ]; then
  STATE="${IDP_STATE_DIR:-${TMPDIR:-/tmp}/jitsi-gw-idp-${IDP_PORT}}"
else
  STATE="${IDP_STATE_DIR:-${TMPDIR:-/tmp}/jitsi-gw-idp-${IDP_PORT}-$(id -u)}"
fi
PIDFILE="$STATE/pids"

log() { printf '[idp down] %s\n' "$*" >&2; }

# same lock as up.sh (up.sh calls us while holding it: IDP_LOCK_HELD=1)
if [ -d "$STATE" ] && [ "${IDP_LOCK_HELD:-0}" != 1 ] && command -v flock >/dev/null 2>&1; then
  exec 9>"$STATE/.lock"
  flock -w 600 9 || { log "another up.sh/down.sh holds $STATE/.lock"; exit 1; }
fi

if [ ! -f "$PIDFILE" ]; then
  log "no pid file at $PIDFILE: nothing to stop"
  exit 0
fi

alive() { kill -0 "$1" 2>/dev/null; }

# direct children of a PID, read from /proc (used to reap FastCGI workers)
children_of() {
  local parent=$1 f pid ppid
  for f in /proc/[0-9]*/stat; do
    # field 4 is the ppid; the command name (field 2) may contain spaces
    read -r pid ppid < <(sed -E 's/^([0-9]+) \(.*\) [A-Za-z] ([0-9]+) .*/\1 \2/' "$f" 2>/dev/null) || continue
    [ "$ppid" = "$parent" ] && echo "$pid"
  done
}

# is PID still the program we started? (guards against PID reuse)
is_ours() {
  local pid=$1 pattern=$2
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -Eq "$pattern"
}

stop_pid() {
  local name=$1 pid=$2 pattern=$3 kids k
  if ! alive "$pid"; then
    log "$name ($pid) is not running"
    return 0
  fi
  if ! is_ours "$pid" "$pattern"; then
    log "PID $pid is no longer $name (PID reused?): leaving it alone"
    return 0
  fi
  kids=$(children_of "$pid")
  log "stopping $name ($pid)${kids:+, children: ${kids//$'\n'/ }}"
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.2; done
  if alive "$pid"; then
    log "$name ($pid) ignored TERM, sending KILL"
    kill -KILL "$pid" 2>/dev/null
  fi
  for k in $kids; do
    if alive "$k" && is_ours "$k" "$pattern"; then
      kill -TERM "$k" 2>/dev/null
      for _ in $(seq 1 25); do alive "$k" || break; sleep 0.2; done
      alive "$k" && kill -KILL "$k" 2>/dev/null
    fi
  done
  return 0
}

NGINX_PID=$(awk '$1=="nginx"{print $2}' "$PIDFILE")
FCGI_PID=$(awk '$1=="llng-fastcgi-server"{print $2}' "$PIDFILE")

[ -n "$NGINX_PID" ] && stop_pid nginx "$NGINX_PID" 'nginx'
[ -n "$FCGI_PID" ] && stop_pid llng-fastcgi-server "$FCGI_PID" 'llng-fastcgi|perl'

rm -f "$PIDFILE" "$STATE/run/llng-fastcgi.sock" "$STATE/run/llng-fastcgi.pid" "$STATE/run/nginx.pid"
log "stopped"
