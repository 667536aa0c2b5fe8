#!/bin/sh
# init-vpp-server: writes VPP's configuration for the vpp-server container.
#
# Runs in the pod's init container (POSIX sh, no bash or jq needed). It reads the MAC of the
# macvlan interface from the kernel, checks it against the stack's pinned MAC when there is
# one, writes /conf/vpp.conf and /conf/startup.conf from the ConfigMap's templates (filling
# in the MAC), adds VPP's cpu section to vpp.conf (vpp-cpus.sh: VPP is the VPP container's first
# process, so its cores are chosen here), copies the web root, and prints what it wrote and
# whether the kernel has IPv6 on the interface.
#
# Environment:
#   HOST_INTERFACE  the macvlan interface Multus attached (default macvlan0)
#   EXPECTED_MAC    the MAC the stack pinned; empty when the kernel's MAC is used as is
#   EXPECT_IPV6_DISABLED  "true" when the NAD's tuning plugin disables IPv6 on the interface
#   VPP_WORKERS, VPP_MAIN_SLEEP_USEC  VPP's worker threads and the main thread's sleep beside a
#                   worker, for vpp-cpus.sh (default 0 and 0)
#   TEMPLATE_DIR    the ConfigMap's mount: vpp.conf, startup.conf, index.html, vpp-cpus.sh
#                   (default /etc/vpp-server)
#   CONF_DIR        where VPP reads its configuration (default /conf)
#   WWW_DIR         VPP's static HTTP root (default /www)
#   SYS_CLASS_NET   sysfs network directory (default /sys/class/net)
#   PROC_SYS_NET    the network sysctls (default /proc/sys/net)
set -eu

iface=${HOST_INTERFACE:-macvlan0}
src=${TEMPLATE_DIR:-/etc/vpp-server}
conf=${CONF_DIR:-/conf}
www=${WWW_DIR:-/www}
sysnet=${SYS_CLASS_NET:-/sys/class/net}
procnet=${PROC_SYS_NET:-/proc/sys/net}
expected=$(printf '%s' "${EXPECTED_MAC:-}" | tr 'A-F' 'a-f')

die() {
    echo "init-vpp-server: error: $*" >&2
    exit 1
}

if [ ! -e "$sysnet/$iface" ]; then
    die "interface $iface is missing from the pod's network namespace: Multus did not attach the NetworkAttachmentDefinition. Check the pod's k8s.v1.cni.cncf.io/networks annotation, that the NAD's master interface exists on this node, and the pod's events (oc describe pod)."
fi
mac=$(tr 'A-F' 'a-f' <"$sysnet/$iface/address") || die "interface $iface: cannot read its MAC from $sysnet/$iface/address"
hex='[0-9a-f][0-9a-f]'
case $mac in
    $hex:$hex:$hex:$hex:$hex:$hex) ;;
    *) die "interface $iface has no Ethernet MAC (read '$mac')" ;;
esac
if [ -n "$expected" ] && [ "$mac" != "$expected" ]; then
    die "interface $iface has MAC $mac but this stack pins $expected: the CNI ignored the 'mac' capability, and VPP would answer with a MAC the kernel's macvlan drops. Check that Multus passes the pod's mac (capabilities {\"mac\": true} in the NetworkAttachmentDefinition) to the macvlan plugin, or set the stack's macAddress to 'kernel'."
fi

for f in vpp.conf startup.conf index.html vpp-cpus.sh; do
    [ -f "$src/$f" ] || die "template $src/$f is missing: is the ConfigMap mounted at $src?"
done
mkdir -p "$conf" "$www"
for f in vpp.conf startup.conf; do
    sed "s/@MACVLAN0_MAC@/$mac/g" "$src/$f" >"$conf/$f.tmp"
done
VPP_CONF="$conf/vpp.conf.tmp" /bin/sh "$src/vpp-cpus.sh" ||
    die "VPP's cpu section could not be chosen (vpp-cpus.sh, above); nothing was written for VPP"
for f in vpp.conf startup.conf; do
    mv "$conf/$f.tmp" "$conf/$f"
done
cp "$src/index.html" "$www/index.html.tmp"
mv "$www/index.html.tmp" "$www/index.html"

echo "init-vpp-server: $iface has MAC $mac${expected:+ (pinned by the stack)}"
case $(cat "$procnet/ipv6/conf/$iface/disable_ipv6" 2>/dev/null || echo none) in
    1) echo "init-vpp-server: $iface has IPv6 disabled" ;;
    0)
        if [ "${EXPECT_IPV6_DISABLED:-}" = true ]; then
            echo "init-vpp-server: warning: $iface has IPv6 enabled although the stack disables it: the NetworkAttachmentDefinition's tuning plugin did not run. VPP works, but the kernel may answer on $iface." >&2
        else
            echo "init-vpp-server: $iface has IPv6 enabled"
        fi
        ;;
    *) echo "init-vpp-server: $iface: the kernel has no IPv6" ;;
esac
for f in "$conf/vpp.conf" "$conf/startup.conf"; do
    echo "--- $f"
    cat "$f"
done
echo "--- $www/index.html ($(wc -c <"$www/index.html") bytes)"
