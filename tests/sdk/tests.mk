# The installed SDK and library as a newcomer uses them: a script (tests/sdk/test_sdk.sh) that installs into a
# temporary prefix and builds examples/ outside the tree against it; generated here with this build's paths.
TESTS += sdk/test_sdk
$(O)/tests/sdk/test_sdk: tests/sdk/test_sdk.sh $(STATIC_LIB) $(SHARED_LIB) $(CLI) $(GUEST_SDK_LIB)
	@mkdir -p $(dir $@)
	sed -e 's|@SRCDIR@|$(CURDIR)|g' -e 's|@VARIANT@|$(VARIANT)|g' -e 's|@CC@|$(CC)|g' -e 's|@SAN@|$(SAN)|g' $< >$@
	chmod +x $@
