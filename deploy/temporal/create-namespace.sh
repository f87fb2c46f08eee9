#!/bin/sh
# Namespace step of docker-compose.yml, run by the temporalio/admin-tools image once the
# server is healthy: create the namespace if missing and register the desk's search
# attributes, given as arguments NAME=Type (docker-compose.yml lists them; they mirror
# desk/search_attributes.py). Safe to re-run: an attribute that already exists with the
# same type is accepted as is.
set -eu

: "${TEMPORAL_ADDRESS:=temporal:7233}"
: "${NAMESPACE:=default}"
# Contacts stay readable in the UI this long after they close.
: "${NAMESPACE_RETENTION:=720h}"
export TEMPORAL_ADDRESS

tries=0
until temporal operator cluster health >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    echo "Temporal at $TEMPORAL_ADDRESS did not become healthy" >&2
    exit 1
  fi
  echo "waiting for Temporal at $TEMPORAL_ADDRESS"
  sleep 2
done

if temporal operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; then
  echo "namespace $NAMESPACE exists"
else
  temporal operator namespace create --namespace "$NAMESPACE" --retention "$NAMESPACE_RETENTION"
fi

# A namespace just created takes a few seconds to reach the server's namespace cache,
# and until then attribute registration answers "namespace not found": retry.
register() {
  tries=0
  until temporal operator search-attribute create --namespace "$NAMESPACE" \
      --name "$1" --type "$2"; do
    tries=$((tries + 1))
    if [ "$tries" -ge 30 ]; then
      echo "could not register search attribute $1" >&2
      exit 1
    fi
    sleep 2
  done
}

for attribute in "$@"; do
  register "${attribute%%=*}" "${attribute#*=}"
done
echo "namespace $NAMESPACE ready with search attributes: $*"
