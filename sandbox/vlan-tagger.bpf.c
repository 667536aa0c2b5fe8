// SPDX-License-Identifier: GPL-2.0
/*
 * The client's 802.1Q VLAN at kernel speed, for the data-plane tier and its benchmark: this
 * kernel has no 8021q module, so a tc eBPF program tags what an interface sends and untags what
 * it receives. Attached to an interface with clsact: "tag" on egress, "untag" on ingress.
 *
 * VLAN_ID is given at compile time (clang -DVLAN_ID=123). A received frame of another VLAN, or
 * an untagged one, is not on this VLAN and is dropped, as a switch's access port would.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#ifndef VLAN_ID
#error "compile with -DVLAN_ID=<1-4094>"
#endif

#define VLAN_VID_MASK 0x0fff

struct vlan_hdr {
    __be16 tci;
    __be16 encapsulated_proto;
};

SEC("tc/tag")
int tag(struct __sk_buff *skb)
{
    return bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), VLAN_ID) == 0 ? TC_ACT_OK : TC_ACT_SHOT;
}

SEC("tc/untag")
int untag(struct __sk_buff *skb)
{
    /* The tag is usually in the skb's metadata (the device's VLAN receive offload took it). */
    if (skb->vlan_present) {
        if ((skb->vlan_tci & VLAN_VID_MASK) != VLAN_ID)
            return TC_ACT_SHOT;
        return bpf_skb_vlan_pop(skb) == 0 ? TC_ACT_OK : TC_ACT_SHOT;
    }
    void *data = (void *)(long)skb->data;
    void *end = (void *)(long)skb->data_end;
    struct ethhdr *eth = data;
    struct vlan_hdr *vlan = (void *)(eth + 1);
    if ((void *)(vlan + 1) > end || eth->h_proto != bpf_htons(ETH_P_8021Q))
        return TC_ACT_SHOT;
    if ((bpf_ntohs(vlan->tci) & VLAN_VID_MASK) != VLAN_ID)
        return TC_ACT_SHOT;
    return bpf_skb_vlan_pop(skb) == 0 ? TC_ACT_OK : TC_ACT_SHOT;
}

char _license[] SEC("license") = "GPL";
