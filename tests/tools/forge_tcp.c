// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * forge_tcp: send forged TCP segments, as an attacker beside an upstream
 * would, to check that floodgate's observer does not count them.
 *
 *   forge_tcp [-n COUNT] [-k] [-f FLAGS] [-s SEQ] [-a ACK] [-p PAYLOAD]
 *             [-g GAP_US] SRC SPORT DST DPORT
 *
 * Sends COUNT (default 1, at most 10000) IPv4 TCP segments from SRC:SPORT
 * (any address: the header is written by hand, IP_HDRINCL) to DST:DPORT+i
 * (i = 0..COUNT-1: a new client port each, so no segment belongs to a real
 * connection by accident; with -k all to DPORT: a guess at one), FLAGS a string of S A R P F (default "PA"), SEQ
 * and ACK (default: random per segment), PAYLOAD the bytes after the header
 * (C escapes \r \n understood), GAP_US microseconds apart (default 1000).
 * The kernel routes each one (raw socket), so it leaves by the default
 * route with the right MACs. Stops after COUNT or 10 s, whichever first;
 * prints "sent=N". Exit 0 when every segment was sent, 1 otherwise, 2 on
 * bad usage.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_COUNT 10000
#define MAX_SECONDS 10
#define MAX_PAYLOAD 1200

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint32_t sum16(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;

	for (; len > 1; len -= 2, p += 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* "HTTP/1.1 503\r\n" with \r, \n and \\ escapes; returns the length. */
static size_t unescape(const char *in, char *out, size_t cap)
{
	size_t n = 0;

	for (; *in && n < cap; in++) {
		if (in[0] == '\\' && in[1]) {
			in++;
			out[n++] = *in == 'r' ? '\r' : *in == 'n' ? '\n' : *in;
		} else {
			out[n++] = *in;
		}
	}
	return n;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: forge_tcp [-n COUNT] [-k] [-f FLAGS] [-s SEQ] [-a ACK] [-p PAYLOAD] "
		"[-g GAP_US] SRC SPORT DST DPORT\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *flags = "PA", *payload = "";
	long count = 1, gap_us = 1000, sent = 0;
	int have_seq = 0, have_ack = 0, keep = 0, fd, one = 1, opt;
	uint32_t seq = 0, ack = 0;
	struct in_addr src, dst;
	char data[MAX_PAYLOAD];
	size_t plen;
	unsigned sport, dport;
	double end;

	while ((opt = getopt(argc, argv, "n:kf:s:a:p:g:")) != -1) {
		switch (opt) {
		case 'n':
			count = strtol(optarg, NULL, 0);
			break;
		case 'k':
			keep = 1;
			break;
		case 'f':
			flags = optarg;
			break;
		case 's':
			seq = strtoul(optarg, NULL, 0), have_seq = 1;
			break;
		case 'a':
			ack = strtoul(optarg, NULL, 0), have_ack = 1;
			break;
		case 'p':
			payload = optarg;
			break;
		case 'g':
			gap_us = strtol(optarg, NULL, 0);
			break;
		default:
			return usage();
		}
	}
	if (argc - optind != 4 || count < 1 || count > MAX_COUNT || gap_us < 0 ||
	    inet_pton(AF_INET, argv[optind], &src) != 1 ||
	    inet_pton(AF_INET, argv[optind + 2], &dst) != 1)
		return usage();
	sport = strtoul(argv[optind + 1], NULL, 0);
	dport = strtoul(argv[optind + 3], NULL, 0);
	if (!sport || sport > 65535 || !dport || dport + (keep ? 0 : count - 1) > 65535)
		return usage();
	plen = unescape(payload, data, sizeof(data));

	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one))) {
		perror("forge_tcp: raw socket");
		return 2;
	}
	srandom(getpid() ^ (unsigned)time(NULL));
	end = now_s() + MAX_SECONDS;
	for (long i = 0; i < count && now_s() < end; i++) {
		uint8_t pkt[sizeof(struct iphdr) + sizeof(struct tcphdr) + MAX_PAYLOAD] = {};
		struct iphdr *ip = (struct iphdr *)pkt;
		struct tcphdr *th = (struct tcphdr *)(ip + 1);
		struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = dst };
		size_t tlen = sizeof(*th) + plen;
		uint8_t pseudo[12];
		uint32_t sum;

		ip->version = 4;
		ip->ihl = 5;
		ip->ttl = 64;
		ip->protocol = IPPROTO_TCP;
		ip->tot_len = htons(sizeof(*ip) + tlen);
		ip->id = htons(random());
		ip->saddr = src.s_addr;
		ip->daddr = dst.s_addr;
		ip->check = fold(sum16(ip, sizeof(*ip), 0));
		th->source = htons(sport);
		th->dest = htons(keep ? dport : dport + i);
		th->seq = htonl(have_seq ? seq : (uint32_t)random() << 1 ^ random());
		th->ack_seq = htonl(have_ack ? ack : (uint32_t)random() << 1 ^ random());
		th->doff = 5;
		th->syn = !!strchr(flags, 'S');
		th->ack = !!strchr(flags, 'A');
		th->rst = !!strchr(flags, 'R');
		th->psh = !!strchr(flags, 'P');
		th->fin = !!strchr(flags, 'F');
		th->window = htons(64240);
		memcpy(th + 1, data, plen);
		memcpy(pseudo, &ip->saddr, 8);
		pseudo[8] = 0;
		pseudo[9] = IPPROTO_TCP;
		pseudo[10] = tlen >> 8;
		pseudo[11] = tlen & 0xff;
		sum = sum16(pseudo, sizeof(pseudo), 0);
		th->check = fold(sum16(th, tlen, sum));
		if (sendto(fd, pkt, sizeof(*ip) + tlen, 0, (struct sockaddr *)&to, sizeof(to)) <
		    0) {
			perror("forge_tcp: sendto");
			break;
		}
		sent++;
		if (gap_us)
			usleep(gap_us);
	}
	close(fd);
	printf("sent=%ld\n", sent);
	return sent == count ? 0 : 1;
}
