#!/usr/bin/perl
# Regenerates tests/data/sisimai/bounces.jsonl: Sisimai's own verdict on every bounced recipient of its
# public corpus (see tests/data/sisimai/README.md). Needs clones of sisimai/p5-sisimai and
# sisimai/set-of-emails, Perl 5.26+ with JSON and Class::Accessor::Lite; the tests only read the output.
#
#   perl scripts/sisimai_corpus.pl SISIMAI_CLONE SET_OF_EMAILS_CLONE > tests/data/sisimai/bounces.jsonl
use v5.26;
use strict;
use warnings;

my ($sisimai, $corpus) = @ARGV;
die "usage: $0 <p5-sisimai clone> <set-of-emails clone>\n" unless $sisimai && $corpus && -d "$corpus/maildir";
unshift @INC, "$sisimai/lib";
require Sisimai;
require JSON;

# maildir/bsd holds every message once (dos/, mac/ and err/ repeat them with other line endings or split
# from mailbox/mbox-0); mailbox/ holds the mbox files. not/, obsoleted/ and to-be-debugged-because/ are
# not bounces or not yet decoded correctly by Sisimai itself.
my @sources = ((sort glob("$corpus/maildir/bsd/*.eml")), (sort glob("$corpus/mailbox/*")));
my $json = JSON->new->canonical(1)->utf8(1);
my %seen;
my ($files, $kept, $repeated) = (0, 0, 0);

for my $path (@sources) {
    $files++;
    my $facts = Sisimai->rise($path) || [];
    (my $file = $path) =~ s{^\Q$corpus\E/}{};
    for my $fact (@$facts) {
        my $reason = $fact->reason;
        my $diagnostic = $fact->diagnosticcode // '';
        # Only what SES would report as a bounce with a diagnostic: ARF complaints (feedback), auto-replies
        # and deliveries are other SES event types, and without a text there is nothing to judge.
        next if $reason eq 'feedback' || $reason eq 'vacation' || $reason eq 'delivered';
        next unless $diagnostic =~ /\S/;
        # Sisimai invents a status x.0.9NN from its verdict when the message gave none; SES would report
        # only the class there (x.0.0), so the invented detail must not reach the classifier under test.
        my $status = $fact->deliverystatus // '';
        $status = "$1.0.0" if $status =~ /^([245])\.0\.9\d\d$/;
        # Sisimai keeps the message's bytes; decode them so the JSON carries the text, not its bytes.
        for my $text ($diagnostic) { utf8::decode($text) unless utf8::is_utf8($text) }
        my $entry = {
            file           => $file,
            status         => $status,
            sisimaistatus  => $fact->deliverystatus // '',
            replycode      => "" . ($fact->replycode // ""),
            diagnostictype => $fact->diagnostictype // '',
            diagnostic     => $diagnostic,
            command        => $fact->smtpcommand // '',
            reason         => $reason,
            hardbounce     => $fact->hardbounce ? JSON::true() : JSON::false(),
        };
        # The same wording with the same status and verdict in two messages tests nothing new.
        my $key = join("\0", map { $entry->{$_} } qw(status diagnostictype diagnostic reason));
        if ($seen{$key}++) { $repeated++; next }
        print $json->encode($entry), "\n";
        $kept++;
    }
}
printf STDERR "Sisimai %s: %d corpus files, %d entries kept, %d repeated entries dropped\n",
    Sisimai->version, $files, $kept, $repeated;
