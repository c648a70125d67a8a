# cmake -DREADME=sdk/README.md -DDIR=sdk/tutorial -P check_readme.cmake
# Fails unless every file the README shows after a "<!-- tutorial: NAME -->"
# marker is, byte for byte, DIR/NAME: the tutorial's text shows the code
# that sdk_tutorial_test builds and runs.
file(READ "${README}" readme)
set(checked 0)
foreach(name ttl_filter.cc CMakeLists.txt)
  set(marker "<!-- tutorial: ${name} -->\n")
  string(FIND "${readme}" "${marker}" at)
  if(at LESS 0)
    message(FATAL_ERROR "${README}: no \"<!-- tutorial: ${name} -->\" marker")
  endif()
  string(LENGTH "${marker}" len)
  math(EXPR at "${at} + ${len}")
  string(SUBSTRING "${readme}" ${at} -1 rest)
  # Skip the opening fence line.
  string(FIND "${rest}" "\n" eol)
  math(EXPR eol "${eol} + 1")
  string(SUBSTRING "${rest}" ${eol} -1 rest)
  string(FIND "${rest}" "\n```" end)
  if(end LESS 0)
    message(FATAL_ERROR "${README}: the code block of ${name} is not closed")
  endif()
  math(EXPR end "${end} + 1")
  string(SUBSTRING "${rest}" 0 ${end} shown)
  file(READ "${DIR}/${name}" actual)
  if(NOT shown STREQUAL actual)
    message(FATAL_ERROR "${README} shows a ${name} that differs from ${DIR}/${name}: "
                        "copy the file into the README")
  endif()
  math(EXPR checked "${checked} + 1")
endforeach()
message(STATUS "the README shows the ${checked} tutorial files as they are")
