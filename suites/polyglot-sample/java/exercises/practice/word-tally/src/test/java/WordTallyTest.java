import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

public class WordTallyTest {

    private final WordTally tally = new WordTally();

    @Test
    public void oneWord() {
        assertThat(tally.count("word")).isEqualTo(Map.of("word", 1));
    }

    @Disabled("Remove to run test")
    @Test
    public void caseIsIgnored() {
        assertThat(tally.count("Go go GO stop")).isEqualTo(Map.of("go", 3, "stop", 1));
    }

    @Disabled("Remove to run test")
    @Test
    public void punctuationSeparatesWords() {
        assertThat(tally.count("one,two; one...")).isEqualTo(Map.of("one", 2, "two", 1));
    }

    @Disabled("Remove to run test")
    @Test
    public void quotesAroundWordsAreDropped() {
        assertThat(tally.count("'it's' don't")).isEqualTo(Map.of("it's", 1, "don't", 1));
    }
}
