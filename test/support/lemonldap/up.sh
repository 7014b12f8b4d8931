#!/usr/bin/env bash
# Start a real LemonLDAP::NG (Debian package) identity provider on loopback,
# acting as CAS server and OpenID Connect provider, for the gateway's tests.
# Idempotent: installs the packages if missing, (re)writes the configuration,
# and (re)starts the processes only when something changed or they are not
# healthy. Safe to call concurrently for the same port (flock).
#
# As root: installs missing packages with apt-get, runs the portal as
# www-data. Not root: the packages must already be installed (otherwise the
# exact apt-get command is printed and the script fails); the processes then
# run as the calling user.
#
# stdout: KEY=VALUE lines only, for  eval "$(test/support/lemonldap/up.sh)"
# See README.md next to this file for the variables and the quirks.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

export IDP_PORT="${IDP_PORT:-8899}"
export IDP_HOST="${IDP_HOST:-127.0.0.1}"
if [ "$(id -u)" = 0 ]; then
  export IDP_STATE_DIR="${IDP_STATE_DIR:-${TMPDIR:-/tmp}/jitsi-gw-idp-${IDP_PORT}}"
else
  export IDP_STATE_DIR="${IDP_STATE_DIR:-${TMPDIR:-/tmp}/jitsi-gw-idp-${IDP_PORT}-$(id -u)}"
fi
export IDP_OIDC_CLIENT_ID="${IDP_OIDC_CLIENT_ID:-jitsi-gw}"
export IDP_OIDC_CLIENT_SECRET="${IDP_OIDC_CLIENT_SECRET:-jitsi-gw-secret}"
export IDP_OIDC_REDIRECT_URIS="${IDP_OIDC_REDIRECT_URIS:-http://127.0.0.1:8080/auth/oidc/callback}"
export IDP_OIDC_POST_LOGOUT_REDIRECT_URIS="${IDP_OIDC_POST_LOGOUT_REDIRECT_URIS:-http://127.0.0.1:8080/}"
export IDP_OIDC_REQUIRE_PKCE="${IDP_OIDC_REQUIRE_PKCE:-1}"
export IDP_OIDC_GROUPS_ALWAYS="${IDP_OIDC_GROUPS_ALWAYS:-1}"
export IDP_CAS_SERVICES="${IDP_CAS_SERVICES:-http://127.0.0.1:8080/}"
export IDP_CAS_ACCESS_CONTROL="${IDP_CAS_ACCESS_CONTROL:-none}"
export IDP_OIDC_ID_TOKEN_CLAIMS="${IDP_OIDC_ID_TOKEN_CLAIMS:-1}"
export IDP_REQUIRE_TOKEN="${IDP_REQUIRE_TOKEN:-1}"
export IDP_LOG_LEVEL="${IDP_LOG_LEVEL:-notice}"
# CAS back-channel single logout (LemonLDAP::NG casBackChannelSingleLogout):
# on logout the portal POSTs logoutRequest=<SAML> to every service URL a
# ticket was validated for. 0 = off (LemonLDAP::NG's default).
export IDP_CAS_SLO="${IDP_CAS_SLO:-0}"
# portalForceAuthnInterval (seconds): a CAS "renew=true" login within this
# time of the last authentication does not show the form again, and only
# tickets issued within it pass "renew=true" validation. LemonLDAP default 5.
export IDP_FORCE_AUTHN_INTERVAL="${IDP_FORCE_AUTHN_INTERVAL:-5}"
# SAML 2.0 identity provider (README.md, "SAML 2.0"). Off by default here, so
# the CAS/OIDC suites neither need Lasso nor restart when SAML settings change.
export IDP_SAML="${IDP_SAML:-0}"
# the SP under test: its metadata (file or URL, fetched at start-up), or
# else entityID / ACS / SLO URLs (+ optional certificate) to generate it from.
export IDP_SAML_SP_METADATA_FILE="${IDP_SAML_SP_METADATA_FILE:-}"
export IDP_SAML_SP_METADATA_URL="${IDP_SAML_SP_METADATA_URL:-}"
export IDP_SAML_SP_ENTITY_ID="${IDP_SAML_SP_ENTITY_ID:-http://127.0.0.1:8080/auth/saml/metadata}"
export IDP_SAML_SP_ACS_URL="${IDP_SAML_SP_ACS_URL:-http://127.0.0.1:8080/auth/saml/callback}"
export IDP_SAML_SP_SLO_URL="${IDP_SAML_SP_SLO_URL:-http://127.0.0.1:8080/auth/saml/logout}"
export IDP_SAML_SP_CERT_FILE="${IDP_SAML_SP_CERT_FILE:-}"
export IDP_SAML_SP_SIGNED_REQUESTS="${IDP_SAML_SP_SIGNED_REQUESTS:-0}"
export IDP_SAML_SP_ENCRYPT="${IDP_SAML_SP_ENCRYPT:-none}"
export IDP_SAML_NAMEID_FORMAT="${IDP_SAML_NAMEID_FORMAT:-persistent}"
export IDP_SAML_ATTRIBUTE_NAMES="${IDP_SAML_ATTRIBUTE_NAMES:-basic}"
export IDP_SAML_EPPN_SCOPE="${IDP_SAML_EPPN_SCOPE:-example.org}"
export IDP_SAML_IDP_INITIATED="${IDP_SAML_IDP_INITIATED:-1}"
export IDP_SAML_ASSERTION_LIFETIME="${IDP_SAML_ASSERTION_LIFETIME:-300}"
export IDP_SAML_SIGNATURE_ALG="${IDP_SAML_SIGNATURE_ALG:-RSA_SHA256}"
# optional, no default here: IDP_SAML_ENTITY_ID (default
# http://$IDP_HOST:$IDP_PORT/saml/metadata) -- read by gen-lmconf.pl
# optional, no default here: IDP_OIDC_ISSUER (default http://$IDP_HOST:$IDP_PORT),
# IDP_COOKIE_DOMAIN (default $IDP_HOST) -- both read by gen-lmconf.pl
IDP_NPROC="${IDP_NPROC:-3}"
IDP_READY_TIMEOUT="${IDP_READY_TIMEOUT:-120}"
IDP_SKIP_INSTALL="${IDP_SKIP_INSTALL:-0}"

STATE="$IDP_STATE_DIR"
PIDFILE="$STATE/pids"
BASE="http://${IDP_HOST}:${IDP_PORT}"
IS_ROOT=0; [ "$(id -u)" = 0 ] && IS_ROOT=1
if [ "$IS_ROOT" = 1 ]; then RUN_USER=www-data; else RUN_USER="$(id -un)"; fi
STARTED=0

log() { printf '[idp up] %s\n' "$*" >&2; }
die() { printf '[idp up] ERROR: %s\n' "$*" >&2; exit 1; }
# KEY=VALUE lines on stdout, for: eval "$(./up.sh)"
print_env() {
  cat <<EOF
IDP_BASE_URL=$BASE
IDP_OIDC_ISSUER=${IDP_OIDC_ISSUER:-$BASE}
IDP_OIDC_DISCOVERY=$BASE/.well-known/openid-configuration
IDP_OIDC_CLIENT_ID=$IDP_OIDC_CLIENT_ID
IDP_OIDC_CLIENT_SECRET=$IDP_OIDC_CLIENT_SECRET
IDP_CAS_BASE_URL=$BASE/cas
IDP_PORT=$IDP_PORT
IDP_STATE_DIR=$STATE
IDP_PIDFILE=$PIDFILE
IDP_STARTED=$STARTED
EOF
  if [ "$IDP_SAML" = 1 ]; then
    cat <<EOF
IDP_SAML_ENTITY_ID=${IDP_SAML_ENTITY_ID:-$BASE/saml/metadata}
IDP_SAML_METADATA_URL=$BASE/saml/metadata/idp
IDP_SAML_SSO_URL=$BASE/saml/singleSignOn
IDP_SAML_SLO_URL=$BASE/saml/singleLogout
IDP_SAML_CERT_FILE=$STATE/saml/idp-signing.crt
EOF
  fi
}

case "$IDP_PORT" in ''|*[!0-9]*) die "IDP_PORT must be a number" ;; esac
case "$STATE" in /*) ;; *) die "IDP_STATE_DIR must be absolute" ;; esac
case "$IDP_CAS_SLO" in 0|1) ;; *) die "IDP_CAS_SLO must be 0 or 1" ;; esac
case "$IDP_SAML" in 0|1) ;; *) die "IDP_SAML must be 0 or 1" ;; esac
[ -z "$IDP_SAML_SP_METADATA_FILE" ] || [ -z "$IDP_SAML_SP_METADATA_URL" ] \
  || die "set IDP_SAML_SP_METADATA_FILE or IDP_SAML_SP_METADATA_URL, not both"
case "$IDP_FORCE_AUTHN_INTERVAL" in ''|*[!0-9]*) die "IDP_FORCE_AUTHN_INTERVAL must be a number of seconds" ;; esac

mkdir -p "$STATE/log" || die "cannot create $STATE (set IDP_STATE_DIR to a writable directory)"
[ -w "$STATE" ] || die "$STATE is not writable by $(id -un) (set IDP_STATE_DIR)"

# One up.sh/down.sh at a time per state dir (= per port by default): parallel
# test files asking for the same instance wait for each other here.
if [ "${IDP_LOCK_HELD:-0}" != 1 ] && command -v flock >/dev/null 2>&1; then
  exec 9>"$STATE/.lock"
  flock -w 600 9 || die "another up.sh/down.sh holds $STATE/.lock for more than 600s"
  export IDP_LOCK_HELD=1
fi

t0=$(date +%s)

# ---------------------------------------------------------------- packages ---
# --no-install-recommends (below) keeps apache2 + mod_perl out, so the perl
# modules that Debian only "Recommends" are listed here: the 2.16 portal does
# not start without several of them (IO::String for every issuer, the captcha
# module GD::SecurityImage with its ImageMagick backend, XML::Simple for CAS).
PKGS=(lemonldap-ng lemonldap-ng-fastcgi-server nginx curl ca-certificates
      libgd-securityimage-perl libimage-magick-perl fonts-urw-base35
      libio-string-perl libcrypt-openssl-bignum-perl libconvert-base32-perl
      libipc-run-perl libmime-tools-perl libnet-ldap-perl libio-socket-timeout-perl
      libunicode-string-perl libauthen-webauthn-perl
      libapache-session-browseable-perl libemail-sender-perl libcookie-baker-xs-perl
      libdbi-perl libhttp-parser-xs-perl liblwp-protocol-https-perl libstring-random-perl
      libxml-simple-perl)
# SAML: Lasso (the SAML library) and GLib (routes Lasso's messages to the log)
[ "$IDP_SAML" = 1 ] && PKGS+=(liblasso-perl libglib-perl)

missing_pkgs() {
  local p
  for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
}

POLICY=/usr/sbin/policy-rc.d
POLICY_BACKUP="$STATE/policy-rc.d.backup"
POLICY_SAVED=0
restore_policy() {
  if [ "$POLICY_SAVED" = 1 ]; then
    if [ -f "$POLICY_BACKUP" ]; then mv -f "$POLICY_BACKUP" "$POLICY"; else rm -f "$POLICY"; fi
    POLICY_SAVED=0
  fi
}

chmod 755 "$STATE"
if [ "$IDP_SKIP_INSTALL" != 1 ] && [ -n "$(missing_pkgs)" ] && [ "$IS_ROOT" != 1 ]; then
  log "LemonLDAP::NG is not (completely) installed, and only root can install it. Run:"
  printf '\n  sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends %s\n\n' \
    "$(missing_pkgs | tr '\n' ' ')" >&2
  log "(or run this script as root; it then also keeps the packaged nginx/FastCGI services from starting)"
  die "missing packages: $(missing_pkgs | tr '\n' ' ')"
fi
# One installer at a time on this machine (instances on other ports may be
# starting right now): their policy-rc.d save/restore must not interleave.
# The lock is taken on the dpkg directory itself (flock on a read-only fd):
# nothing is created in a world-writable place.
if [ "$IDP_SKIP_INSTALL" != 1 ] && [ -n "$(missing_pkgs)" ] && command -v flock >/dev/null 2>&1; then
  exec 8</var/lib/dpkg
  if ! flock -n 8; then
    log "another up.sh is installing packages: waiting for it"
    flock -w 900 8 || die "could not get the install lock on /var/lib/dpkg within 900s"
  fi
fi
if [ "$IDP_SKIP_INSTALL" != 1 ] && [ -n "$(missing_pkgs)" ]; then
  log "installing: $(missing_pkgs | tr '\n' ' ')(apt log: $STATE/log/apt.log)"
  # Keep the maintainer scripts from starting nginx (port 80 on all
  # interfaces) or the packaged FastCGI service: deny every start while
  # apt runs, then put back whatever policy was there before.
  rm -f "$POLICY_BACKUP"
  [ -e "$POLICY" ] && cp -p "$POLICY" "$POLICY_BACKUP"
  POLICY_SAVED=1
  trap restore_policy EXIT
  printf '#!/bin/sh\n# temporary, written by test/support/lemonldap/up.sh\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  export DEBIAN_FRONTEND=noninteractive
  APT_OPTS=(-q -o DPkg::Lock::Timeout=300)
  { apt-get "${APT_OPTS[@]}" update \
    && apt-get "${APT_OPTS[@]}" install -y --no-install-recommends "${PKGS[@]}"
  } >>"$STATE/log/apt.log" 2>&1 || { tail -n 30 "$STATE/log/apt.log" >&2; die "apt-get failed"; }
  # (--no-install-recommends: the recommends would drag in apache2 + mod_perl)
  restore_policy
  trap - EXIT
  [ -z "$(missing_pkgs)" ] || die "still missing after apt-get: $(missing_pkgs | tr '\n' ' ')"
  log "packages installed after $(( $(date +%s) - t0 ))s"
fi
{ exec 8<&-; } 2>/dev/null || true   # release the install lock (if taken)
for c in llng-fastcgi-server nginx curl perl setsid; do
  command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] || die "$c not found"
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
LLNG_FCGI=$(command -v llng-fastcgi-server || echo /usr/sbin/llng-fastcgi-server)

# -------------------------------------------------------------- host name ---
if ! [[ "$IDP_HOST" =~ ^[0-9.]+$ ]]; then
  if ! getent ahostsv4 "$IDP_HOST" 2>/dev/null | awk '{print $1}' | grep -qx '127.0.0.1'; then
    [ "$IS_ROOT" = 1 ] || die "$IDP_HOST does not resolve to 127.0.0.1; as root run: printf '127.0.0.1\\t$IDP_HOST\\n' >>/etc/hosts"
    log "adding '127.0.0.1 $IDP_HOST' to /etc/hosts"
    printf '127.0.0.1\t%s\t# test/support/lemonldap\n' "$IDP_HOST" >>/etc/hosts
  fi
fi

# ------------------------------------------------------------- state dir ---
mkdir -p "$STATE/conf" "$STATE/run" "$STATE/log" "$STATE/nginx" "$STATE/keys"
chmod 700 "$STATE/keys"

# Render everything into a staging dir first, then compare with what the
# running instance (if any) was started with.
STAGE="$(mktemp -d "$STATE/stage.XXXXXX")"
cleanup_stage() { rm -rf "$STAGE"; }
trap cleanup_stage EXIT

cat >"$STAGE/lemonldap-ng.ini" <<EOF
; generated by test/support/lemonldap/up.sh -- do not edit, re-run up.sh instead
[all]
logLevel = ${IDP_LOG_LEVEL}
checkTime = 1

[configuration]
type = File
dirName = ${STATE}/conf
prettyPrint = 1

[portal]
staticPrefix = /static
templateDir = /usr/share/lemonldap-ng/portal/templates
languages = en

[handler]
status = 0
useRedirectOnError = 1
EOF

# SAML: the SP's metadata, from a file or fetched from its URL now (the SP
# must already answer; the copy is part of the configuration fingerprint)
export IDP_SAML_SP_METADATA_RESOLVED=
if [ "$IDP_SAML" = 1 ]; then
  if [ -n "$IDP_SAML_SP_METADATA_URL" ]; then
    curl -fsS --max-time 15 -o "$STAGE/sp-metadata.xml" "$IDP_SAML_SP_METADATA_URL" \
      || die "cannot fetch IDP_SAML_SP_METADATA_URL=$IDP_SAML_SP_METADATA_URL (the SP must be up before up.sh)"
    IDP_SAML_SP_METADATA_RESOLVED="$STAGE/sp-metadata.xml"
  elif [ -n "$IDP_SAML_SP_METADATA_FILE" ]; then
    [ -r "$IDP_SAML_SP_METADATA_FILE" ] || die "cannot read IDP_SAML_SP_METADATA_FILE=$IDP_SAML_SP_METADATA_FILE"
    IDP_SAML_SP_METADATA_RESOLVED="$IDP_SAML_SP_METADATA_FILE"
  fi
  if [ -n "$IDP_SAML_SP_METADATA_RESOLVED" ]; then
    grep -q 'SPSSODescriptor' "$IDP_SAML_SP_METADATA_RESOLVED" \
      || die "SP metadata has no SPSSODescriptor: $IDP_SAML_SP_METADATA_RESOLVED"
  fi
fi

perl "$HERE/gen-lmconf.pl" "$STATE" >"$STAGE/lmConf-1.json"

if [ "$IDP_SAML" = 1 ]; then
  # public material for SPs (the keys dir itself is private)
  mkdir -p "$STATE/saml"; chmod 755 "$STATE/saml"
  install -m 0644 "$STATE/keys/saml-sig.crt" "$STATE/saml/idp-signing.crt"
  install -m 0644 "$STATE/keys/saml-enc.crt" "$STATE/saml/idp-encryption.crt"
fi

# nginx only switches users when its master runs as root
if [ "$IS_ROOT" = 1 ]; then NGINX_USER_LINE="user ${RUN_USER};"; else NGINX_USER_LINE="# (not root: workers run as $RUN_USER)"; fi
cat >"$STAGE/nginx.conf" <<EOF
# generated by test/support/lemonldap/up.sh -- do not edit, re-run up.sh instead
${NGINX_USER_LINE}
worker_processes 1;
daemon on;
pid ${STATE}/run/nginx.pid;
error_log ${STATE}/log/nginx-error.log notice;

events { worker_connections 256; }

http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log ${STATE}/log/nginx-access.log;
  client_body_temp_path ${STATE}/nginx/client_body;
  proxy_temp_path ${STATE}/nginx/proxy;
  fastcgi_temp_path ${STATE}/nginx/fastcgi;
  uwsgi_temp_path ${STATE}/nginx/uwsgi;
  scgi_temp_path ${STATE}/nginx/scgi;
  server_tokens off;

  upstream llng_portal_upstream {
    server unix:${STATE}/run/llng-fastcgi.sock;
  }

  # LemonLDAP::NG portal (CAS server + OIDC provider), loopback only.
  server {
    listen 127.0.0.1:${IDP_PORT} default_server;
    server_name _;
    root /usr/share/lemonldap-ng/portal/htdocs/;

    if (\$uri !~ ^/((static|javascript|favicon).*|.*\.psgi)) {
      rewrite ^/(.*)\$ /index.psgi/\$1 break;
    }

    location ~ ^(?<sc>/.*\.psgi)(?:\$|/) {
      include /etc/nginx/fastcgi_params;
      fastcgi_pass llng_portal_upstream;
      fastcgi_param HTTP_HOST \$http_host;
      fastcgi_param LLTYPE psgi;
      fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
      fastcgi_split_path_info ^(.*\.psgi)(/.*)\$;
      fastcgi_param PATH_INFO \$fastcgi_path_info;

      # admin REST/SOAP endpoints stay closed, as in the packaged example
      location ~ ^/index.psgi/(adminSessions|proxy|sessions|config|notification) {
        deny all;
      }
    }

    index index.psgi;
    location / {
      try_files \$uri \$uri/ =404;
    }
    location /static/ {
      alias /usr/share/lemonldap-ng/portal/htdocs/static/;
    }
    location /javascript/ {
      alias /usr/share/javascript/;
    }
  }
}
EOF

# fingerprint of the effective configuration (cfgDate excluded)
fingerprint() {
  { cat "$STAGE/lemonldap-ng.ini" "$STAGE/nginx.conf"
    grep -v '"cfgDate"' "$STAGE/lmConf-1.json"
    echo "nproc=$IDP_NPROC"
  } | sha256sum | cut -d' ' -f1
}
NEW_FP=$(fingerprint)

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

ready() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
         "$BASE/.well-known/openid-configuration" 2>/dev/null) || return 1
  [ "$code" = 200 ] || return 1
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
         "$BASE/cas/login?service=http%3A%2F%2F127.0.0.1%3A1%2Fready" 2>/dev/null) || return 1
  [ "$code" = 200 ] || return 1
  [ "$IDP_SAML" = 1 ] || return 0
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$BASE/saml/metadata/idp" 2>/dev/null) || return 1
  [ "$code" = 200 ]
}

# ------------------------------------------- already running and unchanged? ---
if [ -f "$PIDFILE" ]; then
  OLD_FCGI_PID=$(awk '$1=="llng-fastcgi-server"{print $2}' "$PIDFILE")
  OLD_NGINX_PID=$(awk '$1=="nginx"{print $2}' "$PIDFILE")
  OLD_FP=$(awk '$1=="fingerprint"{print $2}' "$PIDFILE")
  if pid_alive "$OLD_FCGI_PID" && pid_alive "$OLD_NGINX_PID" \
     && [ "$OLD_FP" = "$NEW_FP" ] && ready; then
    log "already running with the same configuration (pids $OLD_FCGI_PID, $OLD_NGINX_PID) at $BASE"
    print_env
    exit 0
  fi
  log "stopping the previous instance recorded in $PIDFILE"
  IDP_STATE_DIR="$STATE" IDP_PORT="$IDP_PORT" "$HERE/down.sh" >&2 || true
fi

# port must be free now (we never touch a process we did not start)
if (exec 3<>"/dev/tcp/127.0.0.1/$IDP_PORT") 2>/dev/null; then
  die "127.0.0.1:$IDP_PORT is already in use by something up.sh did not start (see IDP_PORT)"
fi

# ------------------------------------------------------ install rendered files ---
# fresh session/cache state on every (re)start: tests start from zero
rm -rf "$STATE/sessions" "$STATE/psessions" "$STATE/cache"
mkdir -p "$STATE/sessions/lock" "$STATE/psessions/lock" "$STATE/cache"
[ "$IS_ROOT" = 1 ] && chown -R "$RUN_USER:$RUN_USER" "$STATE/sessions" "$STATE/psessions" "$STATE/cache" "$STATE/run"
chmod 750 "$STATE/sessions" "$STATE/psessions" "$STATE/cache"

install -m 0644 "$STAGE/lemonldap-ng.ini" "$STATE/lemonldap-ng.ini"
install -m 0644 "$STAGE/nginx.conf" "$STATE/nginx.conf"
rm -f "$STATE"/conf/lmConf-*.json
# the lmConf holds the OIDC private key: readable by www-data only
if [ "$IS_ROOT" = 1 ]; then
  install -m 0640 -o root -g "$RUN_USER" "$STAGE/lmConf-1.json" "$STATE/conf/lmConf-1.json"
  chmod 750 "$STATE/conf"; chgrp "$RUN_USER" "$STATE/conf"
else
  install -m 0600 "$STAGE/lmConf-1.json" "$STATE/conf/lmConf-1.json"
  chmod 700 "$STATE/conf"
fi
rm -f "$STATE/run/llng-fastcgi.sock" "$STATE/run/llng-fastcgi.pid" "$STATE/run/nginx.pid"

"$NGINX" -t -q -c "$STATE/nginx.conf" -e "$STATE/log/nginx-error.log" \
  || die "nginx rejected $STATE/nginx.conf"

# --------------------------------------------------------------- start ---
# The pid file is written as soon as each process exists, so that down.sh can
# always stop whatever was started; the fingerprint line comes last and marks
# a complete start.
: >"$PIDFILE"
touch "$STATE/log/llng-fastcgi.log"
LOG_OFFSET=$(( $(stat -c %s "$STATE/log/llng-fastcgi.log") + 1 ))
new_log() { tail -c +"$LOG_OFFSET" "$STATE/log/llng-fastcgi.log"; }
# FastCGI server: foreground mode in a new session, logs to a file. Its PID
# is the process manager; the workers are its children.
FCGI_USER_OPTS=()
[ "$IS_ROOT" = 1 ] && FCGI_USER_OPTS=(-u "$RUN_USER" -g "$RUN_USER")
setsid env \
  LLNG_DEFAULTCONFFILE="$STATE/lemonldap-ng.ini" \
  LLNG_DEFAULTLOGGER=Lemonldap::NG::Common::Logger::Std \
  "$LLNG_FCGI" --foreground "${FCGI_USER_OPTS[@]}" -n "$IDP_NPROC" \
    -s "$STATE/run/llng-fastcgi.sock" -p "$STATE/run/llng-fastcgi.pid" \
  </dev/null >>"$STATE/log/llng-fastcgi.log" 2>&1 9>&- &
FCGI_PID=$!
echo "llng-fastcgi-server $FCGI_PID" >"$PIDFILE"

for _ in $(seq 1 100); do
  [ -S "$STATE/run/llng-fastcgi.sock" ] && break
  pid_alive "$FCGI_PID" || break
  sleep 0.2
done
# the process manager also writes its own PID; prefer it if it differs
PM_PID=$(cat "$STATE/run/llng-fastcgi.pid" 2>/dev/null || true)
if [ -n "$PM_PID" ] && [ "$PM_PID" != "$FCGI_PID" ] && pid_alive "$PM_PID"; then
  FCGI_PID=$PM_PID
  echo "llng-fastcgi-server $FCGI_PID" >"$PIDFILE"
fi
if ! pid_alive "$FCGI_PID" || ! [ -S "$STATE/run/llng-fastcgi.sock" ]; then
  new_log | tail -n 30 >&2 || true
  "$HERE/down.sh" >&2 || true
  die "llng-fastcgi-server did not come up (log: $STATE/log/llng-fastcgi.log)"
fi

# nginx daemonizes itself and writes the master PID to its pid file
setsid "$NGINX" -c "$STATE/nginx.conf" -e "$STATE/log/nginx-error.log" </dev/null >>"$STATE/log/nginx-stdout.log" 2>&1 9>&- || true
for _ in $(seq 1 50); do
  [ -s "$STATE/run/nginx.pid" ] && break
  sleep 0.1
done
NGINX_PID=$(cat "$STATE/run/nginx.pid" 2>/dev/null || true)
if ! pid_alive "$NGINX_PID"; then
  tail -n 5 "$STATE/log/nginx-error.log" >&2 || true
  "$HERE/down.sh" >&2 || true
  die "nginx did not start (log: $STATE/log/nginx-error.log)"
fi
echo "nginx $NGINX_PID" >>"$PIDFILE"

# --------------------------------------------------------------- ready? ---
deadline=$(( $(date +%s) + IDP_READY_TIMEOUT ))
until ready; do
  if ! pid_alive "$FCGI_PID" || ! pid_alive "$NGINX_PID"; then
    new_log | tail -n 30 >&2 || true
    "$HERE/down.sh" >&2 || true
    die "a process died during start-up"
  fi
  if new_log | grep -q 'Initialization failed:'; then
    new_log | grep -v 'Enable debug logs' | grep -E '\[(error|crit)\]|^[A-Z]' | head -n 20 >&2 || true
    "$HERE/down.sh" >&2 || true
    die "LemonLDAP::NG portal failed to initialise (log: $STATE/log/llng-fastcgi.log)"
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    new_log | tail -n 30 >&2 || true
    die "not ready after ${IDP_READY_TIMEOUT}s (still running; ./down.sh stops it)"
  fi
  sleep 0.5
done
# each FastCGI worker compiles the portal on its first request: warm them up
for _ in $(seq 1 $(( IDP_NPROC * 2 ))); do
  curl -s -o /dev/null --max-time 30 "$BASE/" || true
done

{ echo "fingerprint $NEW_FP"; echo "base_url $BASE"; } >>"$PIDFILE"
STARTED=1
log "ready after $(( $(date +%s) - t0 ))s: $BASE  (pids: fastcgi $FCGI_PID, nginx $NGINX_PID; pid file $PIDFILE)"
print_env
