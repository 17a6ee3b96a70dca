package dev.loombench.orders.domain.quote;

import java.nio.ByteBuffer;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import dev.loombench.orders.domain.error.InvalidRequestException;
import dev.loombench.orders.domain.order.OrderIds;

/**
 * The CPU-bound workload: prices a quote with a fixed, deterministic amount of computation and nothing else (no
 * database, no downstream, no locks, no shared state). Round 0 hashes the 8-byte big-endian id with SHA-256, every
 * further round hashes the previous 32-byte digest; the price is {@code 100 + (first 4 digest bytes as an unsigned
 * int) % 99900} cents. The same inputs give the same quote in every variant, on every JDK.
 * <p>
 * No threading model creates CPU capacity: this endpoint exists so a benchmark can show that.
 */
public final class QuotePricer {

    public static final String ROUNDS_FIELD = "rounds";

    public static final int MIN_ROUNDS = 1;

    public static final int MAX_ROUNDS = 100_000;

    public static final String INVALID_ROUNDS_MESSAGE = "rounds must be an integer from " + MIN_ROUNDS + " to "
            + MAX_ROUNDS;

    private static final int DIGEST_BYTES = 32;

    private static final long PRICE_BASE_CENTS = 100;

    private static final long PRICE_RANGE_CENTS = 99_900;

    private static final HexFormat HEX = HexFormat.of();

    private QuotePricer() {
    }

    /**
     * Parses the raw request, id first (the order-id rules and 400 of {@code /orders/{id}}), then {@code rounds},
     * and prices it: the single place both web stacks call, so they reject and answer alike.
     * @param rawRounds the query parameter as received; {@code null} when absent
     */
    public static Quote price(String rawId, String rawRounds) {
        long id = OrderIds.parse(rawId);
        return price(id, parseRounds(rawRounds));
    }

    /**
     * @return the rounds, an integer from {@value #MIN_ROUNDS} to {@value #MAX_ROUNDS}
     * @throws InvalidRequestException for anything else, including a missing ({@code null}) value
     */
    public static int parseRounds(String raw) {
        // Only ASCII digits, at most 6 of them (MAX_ROUNDS has 6): no sign, no blanks, no overflow.
        if (raw == null || raw.isEmpty() || raw.length() > 6 || !raw.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw invalidRounds();
        }
        int rounds = Integer.parseInt(raw);
        if (rounds < MIN_ROUNDS || rounds > MAX_ROUNDS) {
            throw invalidRounds();
        }
        return rounds;
    }

    /** Pure computation on the calling thread; allocation-free per round. */
    public static Quote price(long id, int rounds) {
        if (id <= 0) {
            throw new IllegalArgumentException("id must be positive: " + id);
        }
        if (rounds < MIN_ROUNDS || rounds > MAX_ROUNDS) {
            throw new IllegalArgumentException("rounds out of range: " + rounds);
        }
        MessageDigest sha256 = sha256();
        byte[] digest = new byte[DIGEST_BYTES];
        sha256.update(ByteBuffer.allocate(Long.BYTES).putLong(id).array());
        finish(sha256, digest);
        for (int round = 1; round < rounds; round++) {
            sha256.update(digest, 0, DIGEST_BYTES);
            finish(sha256, digest);
        }
        long firstFourBytes = Integer.toUnsignedLong(ByteBuffer.wrap(digest, 0, Integer.BYTES).getInt());
        return new Quote(id, rounds, HEX.formatHex(digest), PRICE_BASE_CENTS + firstFourBytes % PRICE_RANGE_CENTS);
    }

    private static InvalidRequestException invalidRounds() {
        return new InvalidRequestException(ROUNDS_FIELD, INVALID_ROUNDS_MESSAGE);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        }
        catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException("every Java platform must provide SHA-256", ex);
        }
    }

    /** Writes the digest into {@code into} (which the next round then hashes) and resets the MessageDigest. */
    private static void finish(MessageDigest sha256, byte[] into) {
        try {
            sha256.digest(into, 0, DIGEST_BYTES);
        }
        catch (DigestException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
