#!/usr/bin/env bash
# Makes the root filesystem that turns Jib's application layers into a runnable image on `scratch`, from
# this machine alone (no registry): a Java runtime cut by jlink from the build's JDK, the shared libraries
# that runtime and the native libraries in the node's jars load, the three programs of the Compose health
# check, and the few files of /etc a JVM reads.
#
#   make-runtime.sh OUT_DIR JDK_HOME CLASSPATH_FILE
#
# CLASSPATH_FILE lists the image's jars (colon-separated, as maven-dependency-plugin writes it): their
# Linux x86-64 glibc native libraries (RocksDB, zstd, lz4, snappy) are inspected with ldd, so that every
# library they need is in the image. The local-cluster "image-local-runtime" profile runs this script;
# docs/operations.md ("The container image") and docs/adr/0017 say why.
set -euo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 OUT_DIR JDK_HOME CLASSPATH_FILE" >&2
  exit 2
fi
out=$1
jdk=$2
classpath_file=$3
here=$(cd "$(dirname "$0")" && pwd)
if [[ $out != /*/* ]]; then
  echo "OUT_DIR must be an absolute path below a directory (it is emptied first): $out" >&2
  exit 2
fi
# Beside OUT_DIR, not in it: everything in OUT_DIR goes into the image.
stamp_file=$out.stamp

# Where the runtime lives in the image: where eclipse-temurin images keep theirs, so that JAVA_HOME and
# PATH are the same whichever way the image is built.
java_home=/opt/java/openjdk

# What the node needs (jdeps --print-module-deps over its classpath), plus what a deployment may switch on
# without a rebuild: TLS with EC keys, SASL/GSSAPI logins, JMX, jcmd for thread dumps, DNS through JNDI.
modules=java.base,java.compiler,java.desktop,java.instrument,java.management,java.naming,java.net.http
modules+=,java.prefs,java.scripting,java.security.jgss,java.security.sasl,java.sql,java.xml
modules+=,jdk.charsets,jdk.crypto.ec,jdk.httpserver,jdk.jcmd,jdk.jfr,jdk.management,jdk.management.agent
modules+=,jdk.naming.dns,jdk.net,jdk.security.auth,jdk.security.jgss,jdk.unsupported,jdk.zipfs

# java.desktop is here for java.beans (Spring's bean introspection): its native AWT, font and sound
# libraries would drag X11 into the image and are never loaded by a headless server.
desktop_natives='**/libawt.so,**/libawt_headless.so,**/libawt_xawt.so,**/libfontmanager.so,**/libjavajpeg.so'
desktop_natives+=',**/libjawt.so,**/libjsound.so,**/liblcms.so,**/libmlib_image.so,**/libsplashscreen.so'

for tool in jlink ldd readelf unzip sha256sum bash head grep; do
  if [[ $tool == jlink ]]; then
    [[ -x $jdk/bin/jlink ]] || { echo "no jlink in $jdk (a JDK with jmods is needed)" >&2; exit 1; }
  elif ! command -v "$tool" > /dev/null; then
    echo "$tool is needed to make the image's runtime" >&2
    exit 1
  fi
done
if [[ $(uname -m) != x86_64 ]]; then
  echo "make-runtime.sh knows only x86-64 Linux (this is $(uname -s) $(uname -m))" >&2
  exit 1
fi

# Rebuilding takes a minute (jlink compresses): skip it when nothing that goes into it has changed.
stamp=$(cat "$0" "$classpath_file" "$jdk/release" "$here"/scratch/etc/* | sha256sum | cut -d' ' -f1)
if [[ -d $out && -f $stamp_file && $(cat "$stamp_file") == "$stamp" ]]; then
  echo "image runtime in $out is up to date"
  exit 0
fi
rm -rf "$out" "$stamp_file"
mkdir -p "$out/opt/java" "$out/tmp"

"$jdk/bin/jlink" --add-modules "$modules" --exclude-files="$desktop_natives" \
    --strip-debug --no-header-files --no-man-pages --compress=2 --output "$out$java_home"

# The programs docker-compose.yml's health check runs in the container: bash (its /dev/tcp is the HTTP
# client), head and grep. Copied from this machine, like the libraries.
tools=(bash head grep)
mkdir -p "$out/usr/bin"
for tool in "${tools[@]}"; do
  cp -L "$(command -v "$tool")" "$out/usr/bin/$tool"
done

# Every ELF file that will be loaded: the runtime's, the tools', and the glibc x86-64 Linux natives inside the jars.
natives=$(mktemp -d)
trap 'rm -rf "$natives"' EXIT
elves=()
while IFS= read -r -d '' file; do
  elves+=("$file")
done < <(find "$out$java_home" "$out/usr/bin" -type f \( -name '*.so' -o -path '*/bin/*' -o -name jspawnhelper -o -name jexec \) -print0)
# One line without a newline at its end: read reports end of file, having read it all.
IFS=: read -r -a jars < "$classpath_file" || true
for jar in "${jars[@]}"; do
  [[ $jar == *.jar && -f $jar ]] || continue
  n=0
  while IFS= read -r entry; do
    n=$((n + 1))
    dir="$natives/$(basename "$jar")/$n"
    mkdir -p "$dir"
    unzip -q -o -j "$jar" "$entry" -d "$dir"
    lib="$dir/$(basename "$entry")"
    # 64-bit x86 and linked against glibc (the jars also carry musl, 32-bit and other CPUs' builds).
    if readelf -h "$lib" 2> /dev/null | grep -q 'X86-64' && ! readelf -d "$lib" | grep -q 'musl'; then
      elves+=("$lib")
    fi
  done < <(unzip -Z1 "$jar" | grep -i 'linux' | grep -vi -e 'musl' -e 'android' | grep '\.so$' || true)
done

# The libraries they link to, as this machine's loader resolves them, copied as plain files to the same
# paths (the loader searches /lib/x86_64-linux-gnu and /usr/lib/x86_64-linux-gnu without a cache).
# The runtime's own libraries find libjvm.so because the launcher has loaded it first: ldd must be told.
runtime_libs="$out$java_home/lib:$out$java_home/lib/server"
declare -A needed=()
declare -A missing=()
for elf in "${elves[@]}"; do
  readelf -h "$elf" > /dev/null 2>&1 || continue
  while IFS= read -r line; do
    path=
    case $line in
      *"not found"*) missing["$(basename "$elf"): ${line%% =>*}"]=1 ;;
      *"=> /"*) path=${line#*=> }; path=${path%% (*} ;;
      /*) path=${line%% (*} ;;
    esac
    if [[ -n $path && $path != "$out"/* ]]; then
      needed[$path]=1
    fi
  done < <(LD_LIBRARY_PATH=$runtime_libs ldd "$elf" 2> /dev/null | sed 's/^[[:space:]]*//' || true)
done
# Not linked but opened at run time: glibc's name-service modules (/etc/nsswitch.conf) and libgcc_s,
# which glibc loads to unwind a thread's stack.
libc_dir=
for path in "${!needed[@]}"; do
  [[ $(basename "$path") == libc.so.6 ]] && libc_dir=$(dirname "$path")
done
if [[ -z $libc_dir ]]; then
  echo "ldd found no libc.so.6 for the runtime: is this a glibc system?" >&2
  exit 1
fi
for extra in libnss_files.so.2 libnss_dns.so.2 libresolv.so.2 libgcc_s.so.1; do
  [[ -e $libc_dir/$extra ]] && needed[$libc_dir/$extra]=1
done
if [[ ${#missing[@]} -gt 0 ]]; then
  printf 'libraries not found on this machine:\n' >&2
  printf '  %s\n' "${!missing[@]}" >&2
  exit 1
fi
for path in "${!needed[@]}"; do
  mkdir -p "$out$(dirname "$path")"
  cp -L "$path" "$out$path"
done

# passwd and group name the unprivileged user (10001) the node runs as; nsswitch.conf tells glibc where to look.
cp -R "$here/scratch/." "$out/"

echo "$stamp" > "$stamp_file"
echo "image runtime in $out: $(du -sh "$out" | cut -f1), ${#needed[@]} system libraries:" \
    "$(for path in "${!needed[@]}"; do basename "$path"; done | sort | tr '\n' ' ')"
