package io.logkv.deployment;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Section anchors of a Markdown document, as GitHub makes them from headings. */
final class Markdown {

    private static final Pattern HEADING = Pattern.compile("(?m)^#{1,6} +(.+?) *$");

    private Markdown() {
    }

    static Set<String> anchors(String markdown) {
        Set<String> anchors = new TreeSet<>();
        Matcher heading = HEADING.matcher(markdown);
        while (heading.find()) {
            anchors.add(heading.group(1).toLowerCase()
                    .replaceAll("[^\\p{L}\\p{N} _-]", "")
                    .replace(' ', '-'));
        }
        return anchors;
    }
}
