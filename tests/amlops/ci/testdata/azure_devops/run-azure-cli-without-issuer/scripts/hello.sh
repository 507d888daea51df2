echo "args=$* backend=$AMLOPS_BACKEND"
