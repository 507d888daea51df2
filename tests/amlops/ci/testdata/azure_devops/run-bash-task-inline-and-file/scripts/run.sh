echo "file got $1"
