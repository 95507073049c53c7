# postfix-env.sh - a private Postfix instance on loopback, for the milter test and the load
# benchmark (bench/milter_load.sh). Sourced by bash; needs root, postfix and user nobody.
#
#   pf_free_port                      a TCP port nobody listens on
#   pf_setup DIR SMTP_PORT MILTER [REINJECT_PORT]
#        config in DIR/etc, queue in DIR/queue, log in DIR/postfix.log, mail for
#        bob@/alice@watchpost.test in DIR/vmail/{bob,alice} (mbox, owned by nobody);
#        MILTER is Postfix's smtpd_milters value ("" for none) with milter_default_action =
#        tempfail, as contrib/postfix-main.cf.snippet ships; REINJECT_PORT (optional) is a
#        second smtpd without milters for releases from quarantine (as amavis' 10025).
#        Returns 1 with the reason on stdout when Postfix cannot run here.
#   pf_stop DIR
#   pf_set DIR 'key = value'         change main.cf and reload
#   pf_tune_load DIR SESSIONS        for load tests: no client rate/connection limits, no
#        in_flow_delay, process limits for SESSIONS concurrent SMTP sessions; reloads and
#        waits for the reload (the functional test does not call it)

pf_free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 30000))
    ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && { echo $p; return; }
  done
  echo 0
}

pf_setup() {
  local d=$1 port=$2 milter=$3 reinject=${4:-} conf=$1/etc
  mkdir -p "$conf" "$d/queue" "$d/data" "$d/vmail"
  chown postfix "$d/data"
  chown nobody:nogroup "$d/vmail"
  printf 'bob@watchpost.test bob\nalice@watchpost.test alice\n' > "$conf/vmailbox"
  cat > "$conf/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.watchpost.test
mydomain = watchpost.test
mydestination =
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
virtual_mailbox_domains = watchpost.test
virtual_mailbox_base = $d/vmail
virtual_mailbox_maps = texthash:$conf/vmailbox
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
default_transport = error:offline test box
relay_transport = error:offline test box
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
smtpd_authorized_xclient_hosts = 127.0.0.1
maillog_file = $d/postfix.log
maillog_file_prefixes = /var, /dev/stdout, $d
smtpd_milters = $milter
non_smtpd_milters =
milter_default_action = tempfail
milter_protocol = 6
milter_connect_timeout = 5s
milter_mail_macros = i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}
CF
  # master.cf: SMTP on our port(s) only, nothing chrooted (the queue is not a chroot tree)
  awk -v port="$port" -v re="$reinject" '
    /^smtp[ \t]+inet/ {
      print "127.0.0.1:" port " inet n - n - - smtpd"
      if (re != "") print "127.0.0.1:" re " inet n - n - - smtpd -o smtpd_milters="
      next }
    /^[a-z0-9]/ && NF >= 8 && $5 == "y" { $5 = "n" }
    { print }' /etc/postfix/master.cf > "$conf/master.cf"
  : > "$d/postfix.log"
  postfix -c "$conf" check > "$d/check.log" 2>&1 || { echo "postfix check fails here: $(cat "$d/check.log")"; return 1; }
  postfix -c "$conf" start > "$d/start.log" 2>&1 || { echo "postfix does not start here: $(cat "$d/start.log")"; return 1; }
  for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.2; done
  (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null || { echo "postfix does not listen on 127.0.0.1:$port"; return 1; }
  return 0
}

pf_set() {
  postconf -c "$1/etc" -e "$2" && postfix -c "$1/etc" reload >/dev/null 2>&1
}

pf_tune_load() {
  local d=$1 s=$2 reloads
  local procs=$((2 * s + 50))
  ((procs >= 100)) || procs=100
  postconf -c "$d/etc" -e "default_process_limit = $procs" \
    'smtpd_client_connection_count_limit = 0' 'smtpd_client_connection_rate_limit = 0' \
    'smtpd_client_message_rate_limit = 0' 'smtpd_client_recipient_rate_limit = 0' \
    'in_flow_delay = 0' || return 1
  reloads=$(grep -c 'reload -- version' "$d/postfix.log" || true)
  postfix -c "$d/etc" reload >/dev/null 2>&1 || return 1
  for _ in $(seq 50); do
    (($(grep -c 'reload -- version' "$d/postfix.log" || true) > reloads)) && return 0
    sleep 0.1
  done
  echo "postfix did not log its reload"
  return 1
}

pf_stop() {
  postfix -c "$1/etc" stop >/dev/null 2>&1
}
