package io.tollgate.deploy.bench;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OpenLoopTest {
    @Test
    void theNthSendIsDueAtStartPlusNOverTheRate() {
        OpenLoop loop = new OpenLoop(4_000, 1_000_000_000L);

        assertThat(loop.dueNanos(0)).isEqualTo(1_000_000_000L);
        assertThat(loop.dueNanos(1)).isEqualTo(1_000_250_000L);
        assertThat(loop.dueNanos(4_000)).isEqualTo(2_000_000_000L);
    }

    @Test
    void countsTheSendsDueByAnInstant() {
        OpenLoop loop = new OpenLoop(4_000, 1_000_000_000L);

        assertThat(loop.dueBy(999_999_999L)).isZero();
        assertThat(loop.dueBy(1_000_000_000L)).isEqualTo(1);
        assertThat(loop.dueBy(1_000_249_999L)).isEqualTo(1);
        assertThat(loop.dueBy(1_000_250_000L)).isEqualTo(2);
        assertThat(loop.dueBy(2_000_000_000L)).isEqualTo(4_001);
    }

    @Test
    void runSendsEverySendDueBeforeTheEndInOrderAndNeverEarly() {
        long start = System.nanoTime();
        OpenLoop loop = new OpenLoop(1_000, start);
        List<Long> indices = new ArrayList<>();
        List<Long> early = new ArrayList<>();

        long sent = loop.run(start + 50_000_000L, () -> false, (index, due) -> {
            if (System.nanoTime() < due) {
                early.add(index);
            }
            indices.add(index);
        });

        assertThat(sent).isEqualTo(50);
        assertThat(indices).hasSize(50).isSorted().startsWith(0L).endsWith(49L);
        assertThat(early).isEmpty();
    }

    @Test
    void aStopEndsTheRunEarly() {
        long start = System.nanoTime();
        List<Long> indices = new ArrayList<>();

        long sent = new OpenLoop(1_000_000, start).run(start + 60_000_000_000L, () -> indices.size() >= 10, (index, due) -> indices.add(index));

        assertThat(sent).isGreaterThanOrEqualTo(10);
        assertThat(indices).hasSize((int) sent);
    }

    @Test
    void refusesARateThatIsNotPositive() {
        assertThatThrownBy(() -> new OpenLoop(0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new OpenLoop(Double.NaN, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
