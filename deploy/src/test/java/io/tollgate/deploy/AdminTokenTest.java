package io.tollgate.deploy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

class AdminTokenTest {

    @Test
    void generatesThirtyTwoRandomBytesAsBase64UrlInAFileOnlyTheOwnerCanRead(@TempDir Path dataDir) throws Exception {
        String token = AdminToken.readOrCreate(dataDir);

        assertThat(token).hasSize(43).matches("[A-Za-z0-9_-]{43}");
        Path file = dataDir.resolve("admin-token");
        assertThat(Files.readString(file)).isEqualTo(token + "\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    }

    @Test
    void reusesTheTokenOfAnEarlierStart(@TempDir Path dataDir) {
        String first = AdminToken.readOrCreate(dataDir);

        assertThat(AdminToken.readOrCreate(dataDir)).isEqualTo(first);
    }

    @Test
    void twoDataDirectoriesGetDifferentTokens(@TempDir Path a, @TempDir Path b) {
        assertThat(AdminToken.readOrCreate(a)).isNotEqualTo(AdminToken.readOrCreate(b));
    }

    @Test
    void theDecisionTokenIsAnotherTokenInItsOwnFileKeptAcrossStarts(@TempDir Path dataDir) throws Exception {
        String admin = AdminToken.readOrCreate(dataDir);
        String decision = AdminToken.readOrCreateDecisionToken(dataDir);

        assertThat(decision).hasSize(43).matches("[A-Za-z0-9_-]{43}").isNotEqualTo(admin);
        Path file = dataDir.resolve("decision-token");
        assertThat(Files.readString(file)).isEqualTo(decision + "\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(AdminToken.readOrCreateDecisionToken(dataDir)).isEqualTo(decision);
    }
}
