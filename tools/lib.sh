# Shared helpers for the scripts under tools/ (sourced).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL SECONDS
wait_http() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    if curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# start_server BIN LOGFILE [VAR=VALUE...]: sets SERVER_PID and SERVER_PORT once /api/status
# answers. Call it directly (not in $(...)) so the server stays our child and its exit code can be
# checked by stop_pid. The server binds port 0 and logs the bound port.
start_server() {
  local bin="$1" logfile="$2" pid port i
  shift 2
  env NEUROPOD_PORT=0 "$@" "$bin" --env-file=/dev/null >"$logfile" 2>&1 &
  pid=$!
  for ((i = 0; i < 300; i++)); do
    port="$(sed -n 's/.*"msg":"http.listening","port":\([0-9]*\).*/\1/p' "$logfile" | head -1)"
    [[ -n "$port" ]] && break
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "server exited at start; log:" >&2
      cat "$logfile" >&2
      return 1
    fi
    sleep 0.1
  done
  if [[ -z "$port" ]] || ! wait_http "http://127.0.0.1:$port/api/status" 30; then
    echo "server did not come up; log:" >&2
    cat "$logfile" >&2
    kill "$pid" 2>/dev/null || true
    return 1
  fi
  SERVER_PID="$pid"
  SERVER_PORT="$port"
}

# stop_pid PID [SECONDS]: SIGTERM, wait, then SIGKILL. Returns the process's exit code (it must be
# a child of this shell), 137 when it had to be killed.
stop_pid() {
  local pid="$1" t="${2:-15}" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < t * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    return 137
  fi
  wait "$pid" 2>/dev/null
}
