/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Network transmits of the tracked tasks' TCP sockets (marked by file_kind()
 * in the socket table of maps.bpf.h): bytes to a real device, which its
 * driver DMAs, apart from bytes to loopback, a software hand-off.
 */
#ifndef NET_BPF_H
#define NET_BPF_H

/*
 * Loopback transmits often run in softirq context on behalf of whichever task
 * is current (e.g. the receiver's ACK processing), so the owner comes from the
 * socket, not from the current task.
 */
SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(on_net_xmit, struct sk_buff *skb, struct net_device *dev)
{
	/*
	 * tp_btf: skb and dev are typed, their fields plain loads, not probe
	 * reads. Except the socket's address: as a typed pointer it cannot be
	 * hashed, read as a number it can.
	 */
	__u64 key = 0;
	struct cs_counters *c;
	unsigned int len;
	bool loopback;
	int role;

	bpf_probe_read_kernel(&key, sizeof(key), &skb->sk);
	if (!key)
		return 0;
	role = sock_role_of(key);
	if (role < 0 || !(c = role_counters(role)))
		return 0;
	len = skb->len;
	loopback = dev->flags & IFF_LOOPBACK;
	c->net_xmit_packets++;
	if (loopback)
		c->loopback_xmit_bytes += len;
	else
		c->net_xmit_bytes += len;
	return 0;
}

#endif /* NET_BPF_H */
