message(STATUS "cli tests: nothing yet")
